package dev.unroll.samples.charlstm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes the training corpus: short stories about a fishing village, put together from a small
 * grammar with a fixed seed. The text is original (no copyright question) and the same on every
 * machine; {@code corpus.txt} in the resources is its output, and a test checks that they agree.
 *
 * <p>Regenerate it, from the root after a build, with {@code java -cp samples/char-lstm/target/classes
 * dev.unroll.samples.charlstm.CorpusGenerator samples/char-lstm/src/main/resources/dev/unroll/samples/charlstm/corpus.txt}.
 */
public final class CorpusGenerator {
    /** Stories in the corpus. */
    public static final int STORIES = 80;
    /** The seed of the corpus. */
    public static final long SEED = 1879;

    private record Person(String name, boolean she) {}

    private static final Person[] PEOPLE = {
        new Person("Mara", true), new Person("Tobin", false), new Person("Elsa", true), new Person("Jonah", false),
        new Person("Ada", true), new Person("Felix", false), new Person("Nora", true), new Person("Silas", false),
        new Person("Ivy", true), new Person("Rowan", false), new Person("Wren", true), new Person("Hugo", false),
        new Person("Lena", true), new Person("Otto", false), new Person("Clara", true), new Person("Bram", false),
    };
    private static final String[] ROLES = {
        "the baker", "the old fisherman", "the lighthouse keeper", "the miller's daughter", "the young carpenter",
        "the schoolteacher", "the ferryman", "the weaver", "the doctor", "the blacksmith", "the postman",
        "the widow from the hill",
    };
    private static final String[] ROLE_DOING = {
        "was mending a net", "was counting coins", "was singing an old song", "was reading by the window",
        "was feeding the gulls", "was sweeping the steps", "was painting a boat", "was stacking wood",
        "was sorting letters", "was cleaning a lamp", "was drinking tea", "was carving a spoon",
    };
    private static final String[] PLACES = {
        "the harbor", "the lighthouse", "the market square", "the mill by the river", "the bakery",
        "the orchard", "the old bridge", "the library", "the hill above the village", "the beach",
        "the chapel", "the inn", "the boatyard", "the garden behind the school",
    };
    private static final String[] TIMES = {
        "At dawn", "In the morning", "At noon", "In the afternoon", "At dusk", "That night", "On Sunday",
        "Early in spring", "Late in autumn", "When the rain stopped", "After breakfast", "Before the market opened",
    };
    private static final String[] OBJECTS = {
        "a lantern", "a basket of apples", "a letter", "a copper key", "a blue scarf", "a map", "a loaf of bread",
        "a wooden box", "a fishing net", "a small bell", "a jar of honey", "a pair of boots", "a compass",
        "a book of songs", "a silver ring", "a kite",
    };
    private static final String[] MOTIONS = {
        "walked to", "ran to", "climbed up to", "went down to", "hurried to", "wandered over to", "rowed to",
    };
    private static final String[] FEELINGS = {
        "happy", "tired", "worried", "curious", "quiet", "proud", "afraid", "restless", "hopeful", "cross",
    };
    private static final String[] REASONS = {
        "the boats were late", "the bread had burned", "nobody had answered the letter", "a storm was coming",
        "the summer fair was near", "the bridge was broken", "the cat had gone missing", "the well was dry",
        "the nets were full of fish", "the lamp in the tower had gone out", "a ship had been seen in the bay",
        "the apples were finally ripe",
    };
    private static final String[] WEATHER = {
        "The wind came from the north and smelled of salt.", "A thin fog lay over the water.",
        "The sky was clear and very blue.", "Rain drummed on the roofs all day.",
        "The sea was calm, and the gulls were loud.", "Snow fell softly on the empty streets.",
        "The air was warm, and the bees were busy in the clover.", "Dark clouds gathered over the cliffs.",
        "The tide was low, and the rocks shone in the sun.", "A cold wind rattled the shutters.",
    };
    private static final String[] TOPICS = {
        "the price of flour", "the ships in the bay", "the summer fair", "the old stories", "the missing cat",
        "the new school roof", "the winter that was coming", "the lights they had seen at sea",
        "the best way to bake bread", "the people who had left the village",
    };
    private static final String[] UNTIL = {
        "the lamps were lit", "the tea was cold", "the bells rang", "the sun went down", "the rain began",
        "the fire burned low", "the children came home",
    };
    private static final String[] UNDER = {
        "the bench", "a pile of leaves", "the stairs", "an old boat", "the kitchen table", "a loose stone",
        "the apple tree", "a heap of nets",
    };
    private static final String[] ENDINGS = {
        "slept well", "wrote a long letter", "made soup for everyone", "laughed for the first time in days",
        "sat by the fire until late", "sang quietly while washing the cups", "promised to come back tomorrow",
    };
    private static final String[] QUESTIONS = {
        "Have you seen my %s?", "Where did you find the %s?", "Is the ferry running today?",
        "Will you help me carry this?", "Do you think it will rain?", "Who left the gate open?",
        "Can you keep a secret?", "What time is it?",
    };
    private static final String[] ANSWERS = {
        "It is going to rain", "The ferry left an hour ago", "I saw it by the harbor", "Nobody knows",
        "Ask the lighthouse keeper", "Of course I will", "Not today, my friend", "It was here this morning",
    };
    private static final String[] TITLES = {
        "%s and the %s", "The Day of the %s", "%s at %s", "A Story about %s", "What %s Found",
    };

    private final SplittableRandom random;
    private final StringBuilder text = new StringBuilder();

    private CorpusGenerator(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The corpus text for a seed. */
    public static String generate(long seed, int stories) {
        CorpusGenerator g = new CorpusGenerator(seed);
        for (int i = 0; i < stories; i++) {
            g.story();
        }
        return g.text.toString();
    }

    public static void main(String[] args) throws IOException {
        Path out = args.length > 0 ? Path.of(args[0])
                : Path.of(System.getProperty("sample.dir", "."), "src/main/resources/dev/unroll/samples/charlstm/corpus.txt");
        String corpus = generate(SEED, STORIES);
        Files.writeString(out, corpus, StandardCharsets.UTF_8);
        System.out.println("wrote " + corpus.length() + " characters to " + out);
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    private static String capitalize(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String bare(String object) {
        return object.substring(object.indexOf(' ') + 1);
    }

    private void story() {
        Person hero = PEOPLE[random.nextInt(PEOPLE.length)];
        Person friend;
        do {
            friend = PEOPLE[random.nextInt(PEOPLE.length)];
        } while (friend == hero);
        String object = pick(OBJECTS);
        String place = pick(PLACES);
        String title = switch (random.nextInt(TITLES.length)) {
            case 0 -> String.format(TITLES[0], hero.name(), capitalize(titleCase(bare(object))));
            case 1 -> String.format(TITLES[1], titleCase(capitalize(bare(object))));
            case 2 -> String.format(TITLES[2], hero.name(), titleCase(capitalize(place)));
            case 3 -> String.format(TITLES[3], hero.name());
            default -> String.format(TITLES[4], hero.name());
        };
        text.append(title).append("\n\n");
        int paragraphs = 2 + random.nextInt(3);
        for (int p = 0; p < paragraphs; p++) {
            int sentences = 3 + random.nextInt(4);
            StringBuilder paragraph = new StringBuilder();
            for (int s = 0; s < sentences; s++) {
                if (s > 0) {
                    paragraph.append(' ');
                }
                boolean first = p == 0 && s == 0;
                boolean last = p == paragraphs - 1 && s == sentences - 1;
                paragraph.append(sentence(hero, friend, object, place, first, last));
            }
            text.append(wrap(paragraph.toString(), 72)).append("\n\n");
        }
    }

    private static String titleCase(String s) {
        StringBuilder out = new StringBuilder();
        for (String word : s.split(" ")) {
            if (out.length() > 0) {
                out.append(' ');
            }
            boolean small = word.equals("of") || word.equals("the") || word.equals("by") || word.equals("above")
                    || word.equals("behind");
            out.append(small && out.length() > 0 ? word : capitalize(word));
        }
        return out.toString();
    }

    private String sentence(Person hero, Person friend, String object, String place, boolean first, boolean last) {
        String he = hero.she() ? "she" : "he";
        String his = hero.she() ? "her" : "his";
        if (first) {
            return pick(TIMES) + ", " + hero.name() + " " + pick(MOTIONS) + " " + place + ".";
        }
        if (last) {
            String ending = pick(ENDINGS);
            return "In the end, " + hero.name() + " went home and " + ending + ".";
        }
        return switch (random.nextInt(11)) {
            case 0 -> hero.name() + " was " + pick(FEELINGS) + ", because " + pick(REASONS) + ".";
            case 1 -> capitalize(he) + " carried " + object + " in " + his + " hands.";
            case 2 -> "At " + pick(PLACES) + ", " + hero.name() + " met " + pick(ROLES) + ", who " + pick(ROLE_DOING) + ".";
            case 3 -> "\"" + String.format(pick(QUESTIONS), bare(object)) + "\" asked " + hero.name() + ".";
            case 4 -> "\"" + pick(ANSWERS) + ",\" said " + (random.nextBoolean() ? friend.name() : pick(ROLES)) + ".";
            case 5 -> pick(WEATHER);
            case 6 -> hero.name() + " and " + friend.name() + " talked about " + pick(TOPICS) + " until "
                    + pick(UNTIL) + ".";
            case 7 -> "Then " + he + " found " + pick(OBJECTS) + " under " + pick(UNDER) + ".";
            case 8 -> friend.name() + " " + pick(ROLE_DOING).replace("was ", "was ") + " and did not look up.";
            case 9 -> "It was " + (random.nextBoolean() ? "a long" : "a short") + " way to " + pick(PLACES)
                    + ", and " + he + " felt " + pick(FEELINGS) + ".";
            default -> "\"" + pick(ANSWERS) + ",\" " + he + " thought; " + he + " was " + pick(FEELINGS) + ".";
        };
    }

    private static String wrap(String paragraph, int width) {
        StringBuilder out = new StringBuilder();
        int lineLength = 0;
        for (String word : paragraph.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > width) {
                out.append('\n');
                lineLength = 0;
            } else if (lineLength > 0) {
                out.append(' ');
                lineLength++;
            }
            out.append(word);
            lineLength += word.length();
        }
        return out.toString();
    }
}
