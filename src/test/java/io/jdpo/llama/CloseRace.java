package io.jdpo.llama;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run in its own JVM by {@link CloseRaceTest}: one thread scores and generates on a model
 * while a second thread closes the model (or the context) at a random moment, round after
 * round. The worker may only ever see {@link IllegalStateException} ("... is closed"); a
 * native use-after-free would kill this JVM instead, which the test sees as a crash.
 */
public final class CloseRace {
    private CloseRace() {
    }

    public static void main(String[] args) throws Exception {
        Path modelPath = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[2]));
        int interrupted = 0;
        for (int round = 0; round < rounds; round++) {
            LlamaModel model = LlamaModel.load(modelPath);
            LlamaContext ctx = LlamaContext.create(model, ContextParams.of(128).withThreads(1));
            int[] prompt = model.tokenizer().tokenize("Once upon a time, there was a little dog");
            int[] completion = model.tokenizer().tokenize(" who liked to play in the park.", false, false);
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread worker = Thread.ofPlatform().start(() -> {
                try {
                    LogProbScorer scorer = new LogProbScorer(ctx);
                    Generator generator = new Generator(ctx);
                    started.countDown();
                    while (true) {
                        scorer.score(prompt, completion);
                        generator.generate(prompt, GenerationOptions.greedy(6), s -> { });
                        model.tokenizer().detokenize(completion);
                    }
                } catch (IllegalStateException expected) {
                    if (!expected.getMessage().endsWith("is closed")) failure.set(expected);
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    started.countDown();
                }
            });
            started.await();
            long until = System.nanoTime() + random.nextLong(3_000_000);
            while (System.nanoTime() < until) Thread.onSpinWait();
            if (round % 4 == 3) ctx.close();
            else model.close();
            worker.join();
            model.close();
            if (failure.get() != null) {
                System.out.println("round " + round + ": the worker failed with");
                failure.get().printStackTrace(System.out);
                System.exit(2);
            }
            interrupted++;
        }
        System.out.println("rounds survived: " + interrupted);
    }
}
