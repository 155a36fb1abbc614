package dev.unroll.runtime;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The parameters of a model, in a fixed order (PyTorch's {@code state_dict} order: layer by layer,
 * {@code weight_ih, weight_hh, bias_ih, bias_hh}, then the head), looked up by name.
 */
public final class ParameterSet implements Iterable<Parameter> {
    private final List<Parameter> parameters;
    private final Map<String, Parameter> byName = new LinkedHashMap<>();

    /** Creates a set; names must be unique. */
    public ParameterSet(List<? extends Parameter> parameters) {
        this.parameters = List.copyOf(parameters);
        for (Parameter p : this.parameters) {
            if (byName.put(p.name(), p) != null) {
                throw new IllegalArgumentException("duplicate parameter name '" + p.name() + "'");
            }
        }
    }

    /** Returns the parameters in order. */
    public List<Parameter> list() {
        return parameters;
    }

    /** Returns the number of parameters (tensors, not elements). */
    public int size() {
        return parameters.size();
    }

    /** Returns the total number of scalar elements. */
    public long elementCount() {
        long n = 0;
        for (Parameter p : parameters) {
            n += p.size();
        }
        return n;
    }

    /** Returns the parameter called {@code name}. */
    public Parameter get(String name) {
        Parameter p = byName.get(name);
        if (p == null) {
            throw new NoSuchElementException("no parameter '" + name + "'; the parameters are " + byName.keySet());
        }
        return p;
    }

    /** Returns true when there is a parameter called {@code name}. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Returns the names in order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /** Returns the sum of the parameters' {@link Parameter#version()}s: it grows whenever any value changes. */
    public long version() {
        long v = 0;
        for (Parameter p : parameters) {
            v += p.version();
        }
        return v;
    }

    /** Marks every parameter as changed (after writing values directly, or after an optimizer step). */
    public void markChanged() {
        for (Parameter p : parameters) {
            p.markChanged();
        }
    }

    /** Sets every gradient to zero. */
    public void zeroGrad() {
        for (Parameter p : parameters) {
            p.zeroGrad();
        }
    }

    @Override
    public Iterator<Parameter> iterator() {
        return Collections.unmodifiableList(parameters).iterator();
    }
}
