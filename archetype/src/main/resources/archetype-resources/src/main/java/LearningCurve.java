package ${package};

import dev.unroll.runtime.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Records the smoothed training loss every few updates and the held-out accuracy when asked, and
 * writes them as a CSV file and as an SVG line chart (any browser shows it). Hand-written, so that
 * the project needs no charting library.
 */
public final class LearningCurve implements Trainer.Listener {
    private final int every;
    private final List<double[]> points = new ArrayList<>();

    /** Records a point every {@code every} updates, and after the last one. */
    public LearningCurve(int every) {
        this.every = every;
    }

    @Override
    public void onUpdate(Trainer.Progress progress) {
        if (progress.update() % every == 0 || progress.update() == progress.totalUpdates()) {
            points.add(new double[] {progress.update(), progress.smoothedLoss()});
        }
    }

    /** Returns the recorded points: {update, smoothed loss}. */
    public List<double[]> points() {
        return List.copyOf(points);
    }

    /** Writes {@code update,loss} lines with a header. */
    public void writeCsv(Path file) throws IOException {
        StringBuilder csv = new StringBuilder("update,smoothed_loss\n");
        for (double[] p : points) {
            csv.append(String.format(Locale.ROOT, "%d,%.6f%n", (long) p[0], p[1]));
        }
        write(file, csv.toString());
    }

    /** Writes the curve as an SVG chart, loss against updates, titled {@code title}. */
    public void writeSvg(Path file, String title) throws IOException {
        int width = 640;
        int height = 400;
        int left = 60;
        int right = 20;
        int top = 40;
        int bottom = 50;
        double maxX = points.isEmpty() ? 1 : Math.max(1, points.get(points.size() - 1)[0]);
        double maxY = 1e-9;
        for (double[] p : points) {
            maxY = Math.max(maxY, p[1]);
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", left,
                escape(title)));
        double plotW = width - left - right;
        double plotH = height - top - bottom;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\""
                + " stroke=\"gray\"/>%n", left, top, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double y = top + plotH * i / 4;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>%n",
                    left - 6, y + 4, maxY * (4 - i) / 4));
            double x = left + plotW * i / 4;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
                    x, top + (int) plotH + 18, Math.round(maxX * i / 4)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">update</text>%n",
                left + plotW / 2, height - 10));
        svg.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\""
                + " text-anchor=\"middle\">smoothed training loss</text>%n", top + plotH / 2, top + plotH / 2));
        StringBuilder line = new StringBuilder();
        for (double[] p : points) {
            line.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + plotW * p[0] / maxX,
                    top + plotH * (1 - p[1] / maxY)));
        }
        svg.append("<polyline fill=\"none\" stroke=\"steelblue\" stroke-width=\"2\" points=\"")
                .append(line.toString().trim()).append("\"/>\n</svg>\n");
        write(file, svg.toString());
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
