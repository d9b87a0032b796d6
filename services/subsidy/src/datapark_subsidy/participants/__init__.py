"""Reading the participant projection as lessees."""
