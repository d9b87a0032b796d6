/*
 * Runs the Eclipse Dataspace TCK (DSP) against datapark's trading service and writes one line
 * per test case to a results file: STATUS<TAB>display name<TAB>test class<TAB>message.
 *
 *   java -cp '.local/tck-libs/*' deploy/tck/DataparkTck.java <config.properties> <results.tsv> [package...]
 *
 * The TCK jars (pinned in deploy/tck/pom.xml) come from Maven Central; this file only launches
 * them on the JUnit platform, the way the TCK's own DspTckSuite does, and records each outcome.
 */

import java.io.FileReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

public class DataparkTck {
    private static final String DEFAULT_LAUNCHER = "org.eclipse.dataspacetck.dsp.system.DspSystemLauncher";
    private static final String ALL = "org.eclipse.dataspacetck.dsp.verification";

    private static String abbreviate(String text) {
        return text.length() <= 1500 ? text : text.substring(0, 700) + " ... " + text.substring(text.length() - 700);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: DataparkTck <config.properties> <results.tsv> [package...]");
            System.exit(2);
        }
        var properties = new Properties();
        try (var reader = new FileReader(args[0], StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        properties.putIfAbsent("dataspacetck.launcher", DEFAULT_LAUNCHER);
        Map<String, String> config = new HashMap<>();
        properties.forEach((k, v) -> {
            System.setProperty(k.toString(), v.toString());
            config.put(k.toString(), v.toString());
        });
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (args.length == 2) {
            selectors.add(DiscoverySelectors.selectPackage(ALL));
        } else {
            for (int i = 2; i < args.length; i++) {
                selectors.add(DiscoverySelectors.selectPackage(args[i]));
            }
        }
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors)
                .filters(ClassNameFilter.includeClassNamePatterns(".*Test"))
                .configurationParameters(config)
                .build();
        try (var out = new PrintWriter(args[1], StandardCharsets.UTF_8)) {
            var listener = new TestExecutionListener() {
                @Override
                public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                    if (!id.isTest()) {
                        return;
                    }
                    var message = result.getThrowable()
                            .map(t -> t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()))
                            .orElse("");
                    write(result.getStatus().name(), id, message);
                }

                @Override
                public void executionSkipped(TestIdentifier id, String reason) {
                    if (id.isTest()) {
                        write("SKIPPED", id, reason);
                    }
                }

                private void write(String status, TestIdentifier id, String message) {
                    var source = id.getSource()
                            .filter(MethodSource.class::isInstance)
                            .map(s -> ((MethodSource) s).getClassName())
                            .orElse("");
                    var line = String.join("\t", status, id.getDisplayName(), source,
                            abbreviate(message.replaceAll("\\s+", " ")));
                    synchronized (out) {
                        out.println(line);
                        out.flush();
                    }
                    System.out.println("[tck] " + status + " " + id.getDisplayName());
                }
            };
            var launcher = LauncherFactory.create();
            launcher.execute(request, listener);
        }
        System.exit(0);
    }
}
