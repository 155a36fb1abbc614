package dev.unroll.runtime;

/**
 * Thrown when a loss or gradient is NaN or infinite, before it can reach the weights. The message
 * names the value: the loss, or the parameter and the element index of the first bad gradient.
 */
public final class NonFiniteException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what is not finite and where. */
    public NonFiniteException(String message) {
        super(message);
    }
}
