package dev.unroll.runtime.checkpoint;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * The validated contents of a safetensors file: its tensors, in header order, and its
 * {@code __metadata__} (string keys and values, empty when the file has none).
 */
public final class TensorFile {
    private final String source;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    TensorFile(String source, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.source = source;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Returns where the file came from (its path as given to {@link SafeTensors#read}), for messages. */
    public String source() {
        return source;
    }

    /** Returns the metadata, unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Returns the tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Returns the tensors in header order. */
    public Collection<Tensor> tensors() {
        return tensors.values();
    }

    /** Returns the number of tensors. */
    public int size() {
        return tensors.size();
    }

    /** Returns true when there is a tensor called {@code name}. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Returns the tensor called {@code name}, if any. */
    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /**
     * Returns the tensor called {@code name}.
     *
     * @throws NoSuchElementException naming the file and the tensors it does have
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new NoSuchElementException(source + ": no tensor '" + name + "'; the tensors are " + tensors.keySet());
        }
        return t;
    }
}
