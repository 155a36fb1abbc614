package com.example.mymodel;

/** Uses the class that the plugin generated from src/main/rnn/tiny.rnn. */
public final class App {
    public static void main(String[] args) {
        Tiny model = new Tiny(1);
        float[] probabilities = model.forward(model.newWorkspace(), new float[][] {{0.5f}, {-0.25f}, {1f}});
        System.out.println(probabilities[0] + probabilities[1]);
    }
}
