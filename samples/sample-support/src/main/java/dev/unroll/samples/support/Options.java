package dev.unroll.samples.support;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of a sample's main: {@code --name value} and {@code --flag}. Every option
 * must be declared with a default and a description, so that {@code --help} can list them and an
 * unknown option is an error instead of being ignored.
 */
public final class Options {
    private final String usage;
    private final Map<String, String> defaults = new LinkedHashMap<>();
    private final Map<String, String> help = new LinkedHashMap<>();
    private final Set<String> flags = new java.util.HashSet<>();
    private final Map<String, String> values = new HashMap<>();

    public Options(String usage) {
        this.usage = usage;
    }

    /** Declares {@code --name VALUE}. */
    public Options option(String name, Object defaultValue, String description) {
        defaults.put(name, String.valueOf(defaultValue));
        help.put(name, description);
        return this;
    }

    /** Declares {@code --name}, false unless given. */
    public Options flag(String name, String description) {
        flags.add(name);
        defaults.put(name, "false");
        help.put(name, description);
        return this;
    }

    /** Parses the arguments; prints the usage and exits on {@code --help} or a mistake. */
    public Options parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.isBlank()) {
                continue;
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println(usageText());
                System.exit(0);
            }
            String name = arg.startsWith("--") ? arg.substring(2) : null;
            String value = null;
            if (name != null && name.contains("=")) {
                value = name.substring(name.indexOf('=') + 1);
                name = name.substring(0, name.indexOf('='));
            }
            if (name == null || !defaults.containsKey(name)) {
                fail("unknown option '" + arg + "'");
            }
            if (flags.contains(name)) {
                values.put(name, value == null ? "true" : value);
            } else if (value != null) {
                values.put(name, value);
            } else if (i + 1 < args.length) {
                values.put(name, args[++i]);
            } else {
                fail("option --" + name + " needs a value");
            }
        }
        return this;
    }

    public String string(String name) {
        if (!defaults.containsKey(name)) {
            throw new IllegalArgumentException("undeclared option " + name);
        }
        return values.getOrDefault(name, defaults.get(name));
    }

    public int integer(String name) {
        try {
            return Integer.parseInt(string(name));
        } catch (NumberFormatException e) {
            fail("--" + name + " needs an integer, got '" + string(name) + "'");
            return 0;
        }
    }

    public double number(String name) {
        try {
            return Double.parseDouble(string(name));
        } catch (NumberFormatException e) {
            fail("--" + name + " needs a number, got '" + string(name) + "'");
            return 0;
        }
    }

    public boolean isSet(String name) {
        return Boolean.parseBoolean(string(name));
    }

    /** The folder of the sample (Maven sets {@code sample.dir}); the working directory otherwise. */
    public static Path sampleDir() {
        return Path.of(System.getProperty("sample.dir", "."));
    }

    private void fail(String message) {
        System.err.println(message);
        System.err.println(usageText());
        System.exit(2);
    }

    private String usageText() {
        StringBuilder text = new StringBuilder("usage: " + usage + "\n");
        for (Map.Entry<String, String> e : help.entrySet()) {
            String name = e.getKey();
            String left = flags.contains(name) ? "--" + name : "--" + name + " " + defaults.get(name);
            text.append(String.format("  %-24s %s%n", left, e.getValue()));
        }
        return text.toString();
    }
}
