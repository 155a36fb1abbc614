package dev.unroll.samples.dates;

import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A synthetic data set of dates, each written in one of six {@link Format}s and normalized to
 * ISO 8601 ({@code 2024-03-03}).
 *
 * <p>Dates run from {@value #FIRST_YEAR}-01-01 to {@value #LAST_YEAR}-12-31. One day in ten, chosen by
 * a hash of the day ({@link #isHeldOut}), is <em>held out</em>: it never appears in the training
 * examples, in any format, so held-out accuracy measures dates the model has never seen. The input is
 * lower case, 1 to {@value #INPUT_LENGTH} characters, one symbol each; the model is
 * {@code variable_length}, so an input is an array of {@value #INPUT_LENGTH} symbols whose first
 * {@link Example#length()} are the date's and the rest {@link #NO_SYMBOL}, which the model never
 * reads. The output is always {@value #OUTPUT_LENGTH} characters.
 */
public final class Dates {
    public static final int FIRST_YEAR = 1950;
    public static final int LAST_YEAR = 2049;
    /** The most input symbols: the model's {@code input_steps}; inputs are arrays of this many. */
    public static final int INPUT_LENGTH = DateNormalizer.STEPS;
    /** Output symbols: {@code yyyy-mm-dd}. */
    public static final int OUTPUT_LENGTH = DateNormalizer.OUTPUT_STEPS;
    /**
     * What an input holds past the date's length: no symbol at all, so that a model that read it would
     * fail rather than quietly see a character. The generated model never reads past the length.
     */
    public static final int NO_SYMBOL = -1;
    /** The input characters, in symbol order. */
    public static final String INPUT_ALPHABET = " ,./0123456789abcdefghijklmnopqrstuvwxyz";
    /** The output characters, in class order. */
    public static final String OUTPUT_ALPHABET = "0123456789-";

    static {
        if (INPUT_ALPHABET.length() != DateNormalizer.INPUT_SIZE
                || OUTPUT_ALPHABET.length() != DateNormalizer.OUTPUT_SIZE) {
            throw new AssertionError("the alphabets do not match dates.rnn");
        }
    }

    /** The ways a date is written; two-digit years {@code 50..99} are 19xx, {@code 00..49} are 20xx. */
    public enum Format {
        DAY_MONTH_YEAR("3 march 2024"),
        MONTH_ORDINAL_YEAR("march 3rd, 2024"),
        MON_DAY_YEAR("mar 3, 2024"),
        WEEKDAY_DAY_MON_YEAR("sun 3 mar 2024"),
        DD_MM_YY("03/03/24"),
        D_M_YYYY("3.3.2024");

        private final String example;

        Format(String example) {
            this.example = example;
        }

        /** How 2024-03-03 is written in this format. */
        public String example() {
            return example;
        }

        /** The date written in this format. */
        public String write(LocalDate date) {
            int d = date.getDayOfMonth();
            int m = date.getMonthValue();
            int y = date.getYear();
            String month = date.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH).toLowerCase(Locale.ROOT);
            String mon = month.substring(0, 3);
            String weekday = date.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)
                    .toLowerCase(Locale.ROOT);
            return switch (this) {
                case DAY_MONTH_YEAR -> d + " " + month + " " + y;
                case MONTH_ORDINAL_YEAR -> month + " " + d + ordinalSuffix(d) + ", " + y;
                case MON_DAY_YEAR -> mon + " " + d + ", " + y;
                case WEEKDAY_DAY_MON_YEAR -> weekday + " " + d + " " + mon + " " + y;
                case DD_MM_YY -> String.format(Locale.ROOT, "%02d/%02d/%02d", d, m, y % 100);
                case D_M_YYYY -> d + "." + m + "." + y;
            };
        }
    }

    /**
     * One example.
     *
     * @param text the date as written
     * @param symbols {@code text} as input symbols: {@code length} of them, then {@link #NO_SYMBOL} up to
     *     {@value #INPUT_LENGTH}
     * @param length the number of symbols of {@code text}, its number of characters
     * @param date the date
     * @param target {@code date} in ISO 8601, as {@value #OUTPUT_LENGTH} output classes
     * @param format how {@code text} is written
     */
    public record Example(String text, int[] symbols, int length, LocalDate date, int[] target, Format format) {}

    private Dates() {}

    /** Whether {@code date} belongs to the held-out dates (one in ten), never to the training ones. */
    public static boolean isHeldOut(LocalDate date) {
        return new SplittableRandom(date.toEpochDay()).nextInt(10) == 0;
    }

    /**
     * {@code n} examples from the training dates ({@code heldOut} false) or from the held-out ones, each
     * a random date of the range in a random format, drawn from {@code seed}.
     */
    public static List<Example> generate(int n, long seed, boolean heldOut) {
        SplittableRandom random = new SplittableRandom(seed);
        long first = LocalDate.of(FIRST_YEAR, 1, 1).toEpochDay();
        long days = LocalDate.of(LAST_YEAR + 1, 1, 1).toEpochDay() - first;
        Format[] formats = Format.values();
        List<Example> examples = new ArrayList<>(n);
        while (examples.size() < n) {
            LocalDate date = LocalDate.ofEpochDay(first + random.nextLong(days));
            Format format = formats[random.nextInt(formats.length)];
            if (isHeldOut(date) == heldOut) {
                examples.add(example(date, format));
            }
        }
        return examples;
    }

    /** Every held-out date of the range written in every format, in date order, then format order. */
    public static List<Example> allHeldOut() {
        List<Example> examples = new ArrayList<>();
        for (LocalDate d = LocalDate.of(FIRST_YEAR, 1, 1); d.getYear() <= LAST_YEAR; d = d.plusDays(1)) {
            if (isHeldOut(d)) {
                for (Format format : Format.values()) {
                    examples.add(example(d, format));
                }
            }
        }
        return examples;
    }

    /** The example of {@code date} written in {@code format}. */
    public static Example example(LocalDate date, Format format) {
        String text = format.write(date);
        return new Example(text, encode(text), text.length(), date, target(date), format);
    }

    /**
     * The input symbols of {@code text}, one per character, followed by {@link #NO_SYMBOL} up to
     * {@value #INPUT_LENGTH}; the model reads the first {@code text.length()}.
     *
     * @throws IllegalArgumentException if {@code text} is empty, longer than {@value #INPUT_LENGTH}
     *     characters or has a character outside {@link #INPUT_ALPHABET} (upper case is read as lower case)
     */
    public static int[] encode(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.isEmpty()) {
            throw new IllegalArgumentException("an empty date: the model reads 1 to " + INPUT_LENGTH + " characters");
        }
        if (lower.length() > INPUT_LENGTH) {
            throw new IllegalArgumentException("\"" + text + "\" has " + lower.length()
                    + " characters; the model reads at most " + INPUT_LENGTH);
        }
        int[] symbols = new int[INPUT_LENGTH];
        Arrays.fill(symbols, NO_SYMBOL);
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            int symbol = INPUT_ALPHABET.indexOf(c);
            if (symbol < 0) {
                throw new IllegalArgumentException("\"" + text + "\": character " + i + " '" + c
                        + "' is not one the model reads (" + INPUT_ALPHABET + ")");
            }
            symbols[i] = symbol;
        }
        return symbols;
    }

    /** The output classes of {@code date} in ISO 8601. */
    public static int[] target(LocalDate date) {
        String iso = date.toString();
        int[] classes = new int[OUTPUT_LENGTH];
        for (int i = 0; i < OUTPUT_LENGTH; i++) {
            classes[i] = OUTPUT_ALPHABET.indexOf(iso.charAt(i));
        }
        return classes;
    }

    /** The characters of output classes (a decoded date, possibly not a valid one). */
    public static String decode(int[] classes) {
        StringBuilder text = new StringBuilder(classes.length);
        for (int c : classes) {
            text.append(OUTPUT_ALPHABET.charAt(c));
        }
        return text.toString();
    }

    private static String ordinalSuffix(int day) {
        if (day >= 11 && day <= 13) {
            return "th";
        }
        return switch (day % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
    }
}
