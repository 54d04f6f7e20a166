package io.jdpo.cli;

import io.jdpo.verify.CommandReward;
import io.jdpo.verify.JudgeReward;
import io.jdpo.verify.RegexReward;
import io.jdpo.verify.Reward;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The reward options of the commands that score generations: a regex pair, a command, or a GGUF judge. */
final class RewardOptions {
    @Option(names = "--reward-regex", description = "reward: +1 per match in a generation")
    String rewardRegex;
    @Option(names = "--penalty-regex", description = "reward: -1 per match in a generation")
    String penaltyRegex;
    @Option(names = "--reward-command", description = "reward: this shell command's number (the text on its stdin, a number on its stdout)")
    String rewardCommand;
    @Option(names = "--judge", description = "reward: this GGUF judge model's log p(Yes) - log p(No)")
    Path judge;
    @Option(names = "--judge-question", defaultValue = "Here is a story:\n%s\nQuestion: Is this story good? Answer:",
            description = "the judge's question, %%s where the text goes (default: ${DEFAULT-VALUE})")
    String judgeQuestion;

    /** The reward chosen, or null when none is (a judge must be closed by the caller: it is AutoCloseable). */
    Reward reward(int threads) {
        return rewardRegex != null || penaltyRegex != null ? RegexReward.of(rewardRegex, penaltyRegex)
                : rewardCommand != null ? new CommandReward(rewardCommand)
                : judge != null ? new JudgeReward(judge, judgeQuestion, threads) : null;
    }
}
