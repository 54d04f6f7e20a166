/**
 * jdpo: DPO fine-tuning of GGUF models on the JVM, with llama.cpp called in-process.
 *
 * <p>{@link io.jdpo.JdpoException} is the root of every unchecked error the library throws on
 * purpose; its subclasses live in the packages that raise them. Misuse (a closed handle, an
 * argument out of range) is reported with the JDK's IllegalStateException and
 * IllegalArgumentException.
 *
 * <p>Packages, from the bottom up: {@code gguf} (file format), {@code tensor} (kernels),
 * {@code llama} (the llama.cpp binding), {@code model} (the Java forward and backward),
 * {@code data} (preference data), {@code adapter} (LoRA adapter files), {@code progress},
 * {@code train},
 * {@code verify}, {@code export}, {@code report}, {@code demo}. The JVM needs
 * {@code --enable-native-access=ALL-UNNAMED} and {@code --add-modules jdk.incubator.vector}.
 */
package io.jdpo;
