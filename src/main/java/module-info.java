/**
 * jdpo as a module for applications on the module path. It exports the library's packages
 * and keeps inside the raw jextract bindings ({@code io.jdpo.bindings}: generated, unchecked,
 * handing out freed pointers is their nature) and the command line ({@code io.jdpo.cli},
 * opened to picocli, which fills its fields reflectively). On the class path (the jdpo
 * launcher, the tests) this descriptor is ignored.
 */
module io.jdpo {
    requires jdk.incubator.vector;
    requires java.logging;
    requires jdk.management; // HotSpot's -XX:MaxDirectMemorySize, which caps the off-heap slabs (model.OffHeap)
    requires java.desktop; // java.beans, for Jinjava's expression resolvers (data.PythonStrings)
    requires info.picocli;
    requires com.fasterxml.jackson.core;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires jinjava;

    exports io.jdpo;
    exports io.jdpo.adapter;
    exports io.jdpo.data;
    exports io.jdpo.demo;
    exports io.jdpo.export;
    exports io.jdpo.gguf;
    exports io.jdpo.llama;
    exports io.jdpo.loop;
    exports io.jdpo.model;
    exports io.jdpo.numeric;
    exports io.jdpo.progress;
    exports io.jdpo.report;
    exports io.jdpo.tensor;
    exports io.jdpo.train;
    exports io.jdpo.verify;

    opens io.jdpo.cli to info.picocli;
}
