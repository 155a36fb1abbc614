package dev.unroll.onnx;

import java.io.IOException;

/**
 * An ONNX file that cannot be read, imported or written, with a message that names the file and,
 * where there is one, the node, tensor or attribute at fault.
 *
 * <pre>{@code
 * model.onnx: node 'LSTM_3' (LSTM): attribute 'clip' clips every gate's pre-activation, which Unroll does not do; export without clip
 * }</pre>
 */
public class OnnxException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a complete message. */
    public OnnxException(String message) {
        super(message);
    }

    /** Creates an exception with a complete message and the low-level cause. */
    public OnnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
