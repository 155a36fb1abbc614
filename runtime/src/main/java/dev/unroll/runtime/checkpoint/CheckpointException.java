package dev.unroll.runtime.checkpoint;

import java.io.IOException;

/**
 * A safetensors file or a checkpoint could not be read, written or applied to a model.
 *
 * <p>This is a <em>checked</em> exception (a subclass of {@link IOException}): reading and writing
 * checkpoints is I/O, and callers that already handle {@code IOException} handle this too. Every
 * message says what is wrong and where: the file, and where it applies the tensor, the byte offset
 * or the expected and found shapes, e.g. {@code checkpoint model.safetensors: tensor
 * 'rnn.weight_ih_l0' has shape [512, 64], expected [512, 65]}.
 *
 * <p>Whenever this exception is thrown by a load or an import, the target parameters are unchanged;
 * whenever it is thrown by a write, the previous file (if any) is unchanged.
 */
public class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message saying what went wrong and where. */
    public CheckpointException(String message) {
        super(message);
    }

    /** Creates an exception with a message saying what went wrong and where, and its cause. */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
