package io.jdpo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Comparing float results that two summation orders may round an ulp apart. */
public final class Ulps {
    private Ulps() {
    }

    /**
     * Asserts each actual[i] within {@code ulps} units in the last place of expected[i].
     *
     * @param expected the reference values
     * @param actual   the values compared, as many
     * @param ulps     how many ulps of each expected value are allowed
     * @param what     names the comparison in a failure
     */
    public static void assertClose(float[] expected, float[] actual, int ulps, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], ulps * Math.ulp(expected[i]), what + ", at " + i);
        }
    }
}
