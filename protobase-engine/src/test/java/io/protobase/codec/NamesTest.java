package io.protobase.codec;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class NamesTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void anAsciiNameDecodesToTheInternedInstanceThatALiteralIs() {
        byte[] buf = ascii("xxpricexx");
        assertThat(Names.name(buf, 2, 5)).isSameAs("price");
        assertThat(Names.name(ascii("price"), 0, 5)).isSameAs("price");
    }

    @Test
    void namesThatAreNotShortAsciiAreLeftToTheCaller() {
        assertThat(Names.name("prix€".getBytes(StandardCharsets.UTF_8), 0, 7)).isNull();
        assertThat(Names.name(ascii("a".repeat(65)), 0, 65)).isNull();
    }

    @Test
    void namesCollidingInTheTableStillDecodeToTheirOwnText() {
        for (int i = 0; i < 20_000; i++) {
            String name = "attribute" + i;
            assertThat(Names.name(ascii(name), 0, name.length())).isEqualTo(name);
        }
    }

    @Test
    void arraysOfTheSameNameInstancesShareOneCanonicalArray() {
        // names no other test decodes: the table is shared by every test running in this JVM
        String[] first = {"namesTestAlpha", "namesTestBeta"};
        String[] second = {"namesTestAlpha", "namesTestBeta"};
        String[] canonical = Names.shape(first);
        assertThat(Names.shape(second)).isSameAs(canonical);
        assertThat(Names.shape(new String[] {"namesTestAlpha"})).isNotSameAs(canonical)
                .containsExactly("namesTestAlpha");
    }
}
