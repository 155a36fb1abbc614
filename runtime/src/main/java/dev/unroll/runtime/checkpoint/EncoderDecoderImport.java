package dev.unroll.runtime.checkpoint;

import dev.unroll.runtime.ParameterSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * Imports a PyTorch {@code state_dict} into an encoder-decoder: two recurrent modules of the same
 * kind (an encoder and a decoder, e.g. {@code self.encoder = nn.LSTM(I, H)} and
 * {@code self.decoder = nn.LSTM(O, H)}) and an {@code nn.Linear} head on the decoder. Their tensors
 * map onto the model's {@code encoder.*}, {@code decoder.*} and {@code head.*}:
 *
 * <pre>
 *   {encoder prefix}weight_ih_l{k}   -&gt;  encoder.weight_ih_l{k}     (and weight_hh, bias_ih, bias_hh, peepholes)
 *   {decoder prefix}weight_ih_l{k}   -&gt;  decoder.weight_ih_l{k}
 *   {head prefix}weight / bias       -&gt;  head.weight / head.bias
 * </pre>
 *
 * <p>The two recurrent prefixes are detected unless given: the file's recurrent tensors must then
 * sit under exactly two prefixes. Which is the encoder is told by the column count of
 * {@code weight_ih_l0} (the encoder reads the input size, the decoder the output size) when those
 * differ, else by the names (one prefix containing {@code enc}, the other {@code dec}); otherwise
 * the import asks for them. The head is found as {@link PyTorchImport} finds it, or given by
 * {@link PyTorchImport.ImportOptions#withHeadPrefix}. Everything else (unknown, missing and
 * mis-shaped tensors, the dtype conversion, the ignoring of unknown tensors, the tensor filter) is
 * {@link PyTorchImport}'s; its messages name the tensors by the model's names.
 */
public final class EncoderDecoderImport {
    /** The canonical prefix of an encoder-decoder's encoder. */
    public static final String ENCODER = "encoder.";
    /** The canonical prefix of an encoder-decoder's decoder. */
    public static final String DECODER = "decoder.";

    private EncoderDecoderImport() {
    }

    /** Returns true when the model's parameters are an encoder-decoder's. */
    public static boolean appliesTo(ParameterSet model) {
        return model.contains(ENCODER + "weight_ih_l0") && model.contains(DECODER + "weight_ih_l0");
    }

    /**
     * Imports a state_dict file with the given prefixes.
     *
     * @param encoderPrefix the encoder's prefix in the file, e.g. {@code "enc."}, or null to detect it
     * @param decoderPrefix the decoder's prefix in the file, e.g. {@code "dec."}, or null to detect it
     * @throws CheckpointException when the file is invalid or does not fit the model; the model is then unchanged
     */
    public static PyTorchImport.Report importStateDict(java.nio.file.Path file, ParameterSet model,
            String encoderPrefix, String decoderPrefix, PyTorchImport.ImportOptions options) throws CheckpointException {
        return importStateDict(SafeTensors.read(file), model, encoderPrefix, decoderPrefix, options);
    }

    /**
     * Imports an already read state_dict with the given prefixes (null to detect).
     *
     * @throws CheckpointException when the tensors do not fit the model; the model is then unchanged
     */
    public static PyTorchImport.Report importStateDict(TensorFile file, ParameterSet model, String encoderPrefix,
            String decoderPrefix, PyTorchImport.ImportOptions options) throws CheckpointException {
        Objects.requireNonNull(options, "options");
        if (!appliesTo(model)) {
            throw new IllegalArgumentException("the model is not an encoder-decoder: it has no "
                    + ENCODER + "weight_ih_l0 and " + DECODER + "weight_ih_l0");
        }
        String where = "PyTorch state_dict " + file.source() + ": ";
        TreeSet<String> prefixes = new TreeSet<>();
        for (String name : file.names()) {
            Matcher m = PyTorchImport.RECURRENT_NAME.matcher(name);
            if (m.matches() && options.tensorFilter().test(name)) {
                prefixes.add(m.group(1));
            }
        }
        String enc = encoderPrefix;
        String dec = decoderPrefix;
        if (enc == null || dec == null) {
            List<String> open = new ArrayList<>(prefixes);
            open.remove(enc);
            open.remove(dec);
            if (enc == null && dec == null && open.size() == 2) {
                String[] pair = assign(file, model, open.get(0), open.get(1));
                if (pair == null) {
                    throw new CheckpointException(where + "cannot tell which of the recurrent modules '" + open.get(0)
                            + "' and '" + open.get(1) + "' is the encoder: their weight_ih_l0 have the same shape and"
                            + " their names say nothing; choose with EncoderDecoderImport.importStateDict(file, model,"
                            + " encoderPrefix, decoderPrefix, options)");
                }
                enc = pair[0];
                dec = pair[1];
            } else if ((enc == null) != (dec == null) && open.size() == 1) {
                if (enc == null) {
                    enc = open.get(0);
                } else {
                    dec = open.get(0);
                }
            } else {
                throw new CheckpointException(where + "an encoder-decoder needs two recurrent modules, an encoder and"
                        + " a decoder, but the recurrent tensors are under " + (prefixes.isEmpty() ? "no prefix"
                        : prefixes.size() + " prefixes " + quoted(prefixes)) + "; choose them with"
                        + " EncoderDecoderImport.importStateDict(file, model, encoderPrefix, decoderPrefix, options)");
            }
        }
        if (enc.equals(dec)) {
            throw new CheckpointException(where + "the encoder and the decoder cannot both be '" + enc + "'");
        }
        // the two modules under the model's own prefixes; then every name is the model's, or unknown
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        Map<String, String> original = new LinkedHashMap<>();
        for (Tensor t : file.tensors()) {
            String name = rename(t.name(), enc, ENCODER);
            if (name.equals(t.name())) {
                name = rename(t.name(), dec, DECODER);
            }
            if (renamed.containsKey(name)) {
                throw new CheckpointException(where + "tensors '" + original.get(name) + "' and '" + t.name()
                        + "' would both be '" + name + "'");
            }
            renamed.put(name, name.equals(t.name()) ? t : new Tensor(name, t.dtype(), t.shape(), t.data()));
            original.put(name, t.name());
        }
        TensorFile canonical = new TensorFile(file.source(), renamed, file.metadata());
        PyTorchImport.ImportOptions generic = options.withRecurrentPrefix(null)
                .onlyTensors(name -> options.tensorFilter().test(original.get(name)));
        PyTorchImport.Report report;
        try {
            report = PyTorchImport.importGeneric(canonical, model, generic);
        } catch (CheckpointException e) {
            throw new CheckpointException(e.getMessage() + " (the encoder '" + enc + "' read as '" + ENCODER
                    + "', the decoder '" + dec + "' as '" + DECODER + "')");
        }
        Map<String, String> mapping = new LinkedHashMap<>();
        report.mapping().forEach((source, target) -> mapping.put(original.get(source), target));
        int layers = (int) model.list().stream().filter(p -> p.name().startsWith(ENCODER + "weight_hh_l")).count();
        return new PyTorchImport.Report(enc, report.headPrefix(), layers, false, mapping,
                report.ignored().stream().map(original::get).toList());
    }

    /** Returns {encoder, decoder} of two prefixes, by the inputs their first layer reads or by their names. */
    private static String[] assign(TensorFile file, ParameterSet model, String a, String b) {
        int encoderInputs = columns(model.get(ENCODER + "weight_ih_l0").shape());
        int decoderInputs = columns(model.get(DECODER + "weight_ih_l0").shape());
        int aInputs = file.find(a + "weight_ih_l0").map(t -> columns(t.shape())).orElse(-1);
        int bInputs = file.find(b + "weight_ih_l0").map(t -> columns(t.shape())).orElse(-1);
        if (encoderInputs != decoderInputs && aInputs != bInputs) {
            if (aInputs == encoderInputs || bInputs == decoderInputs) {
                return new String[] {a, b};
            }
            if (bInputs == encoderInputs || aInputs == decoderInputs) {
                return new String[] {b, a};
            }
        }
        boolean aEnc = a.toLowerCase(Locale.ROOT).contains("enc");
        boolean bEnc = b.toLowerCase(Locale.ROOT).contains("enc");
        boolean aDec = a.toLowerCase(Locale.ROOT).contains("dec");
        boolean bDec = b.toLowerCase(Locale.ROOT).contains("dec");
        if (aEnc && !aDec && bDec && !bEnc) {
            return new String[] {a, b};
        }
        if (bEnc && !bDec && aDec && !aEnc) {
            return new String[] {b, a};
        }
        return null;
    }

    private static int columns(int[] shape) {
        return shape.length == 2 ? shape[1] : -1;
    }

    /** {@code from + rest} becomes {@code to + rest} when {@code rest} is a recurrent tensor's name. */
    private static String rename(String name, String from, String to) {
        if (!name.startsWith(from)) {
            return name;
        }
        Matcher m = PyTorchImport.RECURRENT_NAME.matcher(name.substring(from.length()));
        return m.matches() && m.group(1).isEmpty() ? to + name.substring(from.length()) : name;
    }

    private static String quoted(Iterable<String> prefixes) {
        List<String> out = new ArrayList<>();
        for (String p : prefixes) {
            out.add("'" + p + "'");
        }
        return out.toString();
    }
}
