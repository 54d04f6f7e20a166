package io.jdpo.cli;

import java.nio.file.Path;

/** An adapter given on the command line as FILE or FILE:SCALE (scale 1 when absent). */
record AdapterSpec(Path path, float scale) {
    static AdapterSpec parse(String spec) {
        int colon = spec.lastIndexOf(':');
        boolean scaled = colon > 0 && spec.substring(colon + 1).matches("[-+]?[0-9.]+([eE][-+]?[0-9]+)?");
        return new AdapterSpec(Path.of(scaled ? spec.substring(0, colon) : spec), scaled ? Float.parseFloat(spec.substring(colon + 1)) : 1f);
    }
}
