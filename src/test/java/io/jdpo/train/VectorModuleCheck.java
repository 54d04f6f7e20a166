package io.jdpo.train;

import io.jdpo.JdpoException;

/** Run by {@link VectorModuleTest} in a JVM started without the vector module: constructs a trainer. */
public final class VectorModuleCheck {
    private VectorModuleCheck() {
    }

    public static void main(String[] args) {
        try {
            new DpoTrainer(TrainConfig.defaults());
            System.out.println("constructed");
        } catch (JdpoException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }
}
