package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_batch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Tokens for one {@link LlamaContext#decode} call: each with its position, the sequences it
 * belongs to, and whether its logits are wanted. Reusable after {@link #clear()}.
 */
public final class Batch extends NativeHandle {
    private final Arena arena;
    private final int capacity;
    private final int maxSeqPerToken;
    private final MemorySegment token;
    private final MemorySegment pos;
    private final MemorySegment nSeqId;
    private final MemorySegment seqId;
    private final MemorySegment logits;
    private int size;

    /**
     * Allocates a batch in native memory, freed by {@link #close()}.
     *
     * @param capacity the most tokens the batch holds; at most the context's {@code nBatch} for
     *        a decode to accept it
     * @param maxSeqPerToken the most sequences one token may belong to (1 unless tokens of a
     *        shared prompt are decoded once for several sequences)
     * @throws IllegalArgumentException if either is not positive
     * @throws LlamaException if llama.cpp cannot be loaded
     */
    public Batch(int capacity, int maxSeqPerToken) {
        this(Arena.ofShared(), capacity, maxSeqPerToken);
    }

    private Batch(Arena arena, int capacity, int maxSeqPerToken) {
        this(arena, capacity, maxSeqPerToken, init(arena, capacity, maxSeqPerToken));
    }

    private Batch(Arena arena, int capacity, int maxSeqPerToken, MemorySegment init) {
        super("batch", init);
        this.arena = arena;
        this.capacity = capacity;
        this.maxSeqPerToken = maxSeqPerToken;
        MemorySegment b = init;
        token = llama_batch.token(b).reinterpret((long) capacity * Integer.BYTES);
        pos = llama_batch.pos(b).reinterpret((long) capacity * Integer.BYTES);
        nSeqId = llama_batch.n_seq_id(b).reinterpret((long) capacity * Integer.BYTES);
        seqId = llama_batch.seq_id(b).reinterpret((long) capacity * ValueLayout.ADDRESS.byteSize());
        logits = llama_batch.logits(b).reinterpret(capacity);
    }

    private static MemorySegment init(Arena arena, int capacity, int maxSeqPerToken) {
        if (capacity <= 0 || maxSeqPerToken <= 0) {
            throw new IllegalArgumentException("batch capacity and sequences per token must be positive");
        }
        LlamaRuntime.get();
        return LlamaH.llama_batch_init(arena, capacity, 0, maxSeqPerToken);
    }

    /**
     * Adds one token. Token ids and positions are checked against the context by
     * {@link LlamaContext#decode}, not here.
     *
     * @param tokenId the token's vocabulary id
     * @param position its 0-based position in its sequence(s); a sequence's positions must
     *        continue the ones already in the KV cache
     * @param wantLogits whether {@link LlamaContext#logits(int)} may read this token's logits
     *        after the decode (each costs a vocabulary-sized row)
     * @param sequences the sequence ids the token belongs to (1 to {@code maxSeqPerToken})
     * @return the token's index in the batch, by which its logits are read
     * @throws IllegalStateException if the batch is full or closed
     * @throws IllegalArgumentException if {@code sequences} is empty or too long
     */
    public int add(int tokenId, int position, boolean wantLogits, int... sequences) {
        try (Hold b = hold()) {
            return add(b.ptr(), tokenId, position, wantLogits, sequences);
        }
    }

    private int add(MemorySegment b, int tokenId, int position, boolean wantLogits, int... sequences) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " tokens)");
        }
        if (sequences.length == 0 || sequences.length > maxSeqPerToken) {
            throw new IllegalArgumentException("a token belongs to 1.." + maxSeqPerToken + " sequences, got "
                    + sequences.length);
        }
        int i = size++;
        token.setAtIndex(ValueLayout.JAVA_INT, i, tokenId);
        pos.setAtIndex(ValueLayout.JAVA_INT, i, position);
        nSeqId.setAtIndex(ValueLayout.JAVA_INT, i, sequences.length);
        MemorySegment ids = seqId.getAtIndex(ValueLayout.ADDRESS, i).reinterpret((long) maxSeqPerToken * Integer.BYTES);
        for (int s = 0; s < sequences.length; s++) {
            ids.setAtIndex(ValueLayout.JAVA_INT, s, sequences[s]);
        }
        logits.set(ValueLayout.JAVA_BYTE, i, (byte) (wantLogits ? 1 : 0));
        llama_batch.n_tokens(b, size);
        return i;
    }

    /**
     * Empties the batch for reuse; the native memory stays allocated.
     *
     * @throws IllegalStateException if the batch is closed
     */
    public void clear() {
        try (Hold b = hold()) {
            size = 0;
            llama_batch.n_tokens(b.ptr(), 0);
        }
    }

    /** {@return the number of tokens added since the last {@link #clear()}} */
    public int size() {
        return size;
    }

    /** {@return the most tokens this batch holds} */
    public int capacity() {
        return capacity;
    }

    /** {@return true when {@link #add} would fail for lack of room} */
    public boolean isFull() {
        return size == capacity;
    }

    int token(int i) {
        return token.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    int position(int i) {
        return pos.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    int sequenceCount(int i) {
        return nSeqId.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    int sequence(int i, int s) {
        return seqId.getAtIndex(ValueLayout.ADDRESS, i).reinterpret((long) maxSeqPerToken * Integer.BYTES)
                .getAtIndex(ValueLayout.JAVA_INT, s);
    }

    boolean wantsLogits(int i) {
        return logits.get(ValueLayout.JAVA_BYTE, i) != 0;
    }

    @Override
    void free(MemorySegment pointer) {
        LlamaH.llama_batch_free(pointer);
        arena.close();
    }
}
