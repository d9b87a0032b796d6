from datapark_audit.cli import main

main()
