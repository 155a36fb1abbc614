package dev.unroll.samples.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A line chart saved as a PNG, drawn by XChart without a display (headless AWT). */
public final class Chart {
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean logY;
    private boolean legendBelow;
    private int width = 800;
    private int height = 480;

    private Chart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public static Chart lines(String title, String xLabel, String yLabel) {
        return new Chart(title, xLabel, yLabel);
    }

    /** Colors that tell lines apart, in order: blue, orange, green, red, purple, brown, grey. */
    public static final java.awt.Color[] PALETTE = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e),
        new java.awt.Color(0x2ca02c), new java.awt.Color(0xd62728), new java.awt.Color(0x9467bd),
        new java.awt.Color(0x8c564b), new java.awt.Color(0x7f7f7f)};

    public Chart add(Series s) {
        series.add(s);
        return this;
    }

    public Chart logY() {
        this.logY = true;
        return this;
    }

    /** Puts the legend under the plot instead of inside its upper right corner. */
    public Chart legendBelow() {
        this.legendBelow = true;
        return this;
    }

    public Chart size(int width, int height) {
        this.width = width;
        this.height = height;
        return this;
    }

    /** Writes the chart to {@code png}, creating its folder; series without points are left out. */
    public Path save(Path png) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setYAxisLogarithmic(logY);
        if (logY) {
            // Label 2, 3, ... 9 times each power of ten too when the lines span less than two decades.
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (Series s : series) {
                for (double y : s.ys()) {
                    if (y > 0) {
                        min = Math.min(min, y);
                        max = Math.max(max, y);
                    }
                }
            }
            chart.getStyler().setYAxisLogarithmicDecadeOnly(max / min > 100);
        }
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(legendBelow ? org.knowm.xchart.style.Styler.LegendPosition.OutsideS
                : org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        for (Series s : series) {
            if (s.size() == 0) {
                continue;
            }
            XYSeries line = chart.addSeries(s.name(), s.xs(), s.ys());
            line.setMarker(SeriesMarkers.NONE);
            if (s.color() != null) {
                line.setLineColor(s.color());
            }
            if (s.isDashed()) {
                line.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
            }
        }
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
        return png;
    }
}
