//! Charts drawn on the server as inline SVG: nothing is loaded from another site, they print,
//! and they follow the page's light or dark colours through CSS classes (`static/admin.css`).
//! Every chart has a `<title>` for screen readers and sits next to a table of its numbers.

use std::fmt::Write as _;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Escapes text for SVG or HTML content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The top of a scale for values up to `v`: the smallest of 4, 8, 20, 40, 80, 200, … at or
/// above it, so that the four grid steps fall on round numbers.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 4.0 {
        return 4.0;
    }
    if v <= 8.0 {
        return 8.0;
    }
    let mut power = 10f64.powf(v.log10().floor());
    loop {
        if let Some(c) = [2.0, 4.0, 8.0]
            .into_iter()
            .map(|m| m * power)
            .find(|c| *c >= v)
        {
            return c;
        }
        power *= 10.0;
    }
}

/// The plot area and its vertical scale from `min` to `max`.
struct Frame {
    min: f64,
    max: f64,
    svg: String,
}

impl Frame {
    fn new(title: &str, id: &str, min: f64, max: f64) -> Frame {
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title" preserveAspectRatio="xMidYMid meet"><title id="{id}-title">{}</title>"#,
            escape(title)
        );
        Frame { min, max, svg }
    }

    fn plot_width(&self) -> f64 {
        WIDTH - LEFT - RIGHT
    }

    fn y(&self, v: f64) -> f64 {
        let span = (self.max - self.min).max(f64::EPSILON);
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - (v - self.min) / span)
    }

    /// Horizontal grid lines with labels at four even steps, and the zero line.
    fn grid(&mut self, label: &dyn Fn(f64) -> String) {
        for step in 0..=4 {
            let v = self.min + (self.max - self.min) * f64::from(step) / 4.0;
            let y = self.y(v);
            let _ = write!(
                self.svg,
                r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&label(v))
            );
        }
        if self.min < 0.0 {
            let y = self.y(0.0);
            let _ = write!(
                self.svg,
                r#"<line class="axis" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/>"#,
                WIDTH - RIGHT
            );
        }
    }

    /// Labels under the first, middle and last of `n` slots (or all, when few).
    fn x_labels(&mut self, labels: &[String], slots: usize) {
        if labels.is_empty() {
            return;
        }
        let picks: Vec<usize> = if labels.len() <= 6 {
            (0..labels.len()).collect()
        } else {
            vec![0, labels.len() / 2, labels.len() - 1]
        };
        let last = labels.len() - 1;
        for i in picks {
            let x = LEFT + self.plot_width() * (i as f64 + 0.5) / slots.max(1) as f64;
            // The outer labels align with the plot's edges so that they are never cut off.
            let (x, anchor) = match i {
                0 if last > 0 => (LEFT, "start"),
                i if i == last && last > 0 => (WIDTH - RIGHT, "end"),
                _ => (x, "middle"),
            };
            let _ = write!(
                self.svg,
                r#"<text class="tick" x="{x:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
                HEIGHT - 8.0,
                escape(&labels[i])
            );
        }
    }

    fn finish(mut self) -> String {
        self.svg.push_str("</svg>");
        self.svg
    }
}

/// Daily bars: `up` above the zero line, `down` below it (sign-ups and cancellations).
pub fn up_down_bars(title: &str, id: &str, labels: &[String], up: &[i64], down: &[i64]) -> String {
    let highest_down = down.iter().copied().max().unwrap_or(0);
    let top = nice_ceiling(up.iter().copied().max().unwrap_or(0).max(highest_down) as f64);
    // The same scale both ways; no room below zero when nothing was cancelled.
    let bottom = if highest_down > 0 { -top } else { 0.0 };
    let mut f = Frame::new(title, id, bottom, top);
    f.grid(&|v| format!("{}", v.abs().round()));
    let n = up.len().max(1);
    let slot = f.plot_width() / n as f64;
    let bar = (slot * 0.8).max(0.5);
    for (i, (u, d)) in up.iter().zip(down).enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let zero = f.y(0.0);
        if *u > 0 {
            let top = f.y(*u as f64);
            let _ = write!(
                f.svg,
                r#"<rect class="bar-up" x="{x:.2}" y="{top:.2}" width="{bar:.2}" height="{:.2}"/>"#,
                zero - top
            );
        }
        if *d > 0 {
            let bottom = f.y(-(*d as f64));
            let _ = write!(
                f.svg,
                r#"<rect class="bar-down" x="{x:.2}" y="{zero:.2}" width="{bar:.2}" height="{:.2}"/>"#,
                bottom - zero
            );
        }
    }
    f.x_labels(labels, n);
    f.finish()
}

/// A line over the slots of `labels`, an optional dashed goal line, and an optional dashed
/// projection from the last value running `extra` more slots at `pace` per slot.
pub struct Line<'a> {
    /// The chart's accessible title.
    pub title: &'a str,
    /// A unique id prefix in the page.
    pub id: &'a str,
    /// One label per value.
    pub labels: &'a [String],
    /// The values.
    pub values: &'a [i64],
    /// A horizontal target.
    pub goal: Option<i64>,
    /// Slots to extend past the last value, and the change per slot.
    pub projection: Option<(usize, f64)>,
    /// Formats a value on the axis.
    pub format: &'a dyn Fn(i64) -> String,
}

impl Line<'_> {
    /// The SVG.
    pub fn render(&self) -> String {
        let (extra, pace) = self.projection.unwrap_or((0, 0.0));
        let last = self.values.last().copied().unwrap_or(0) as f64;
        let projected_end = last + pace * extra as f64;
        let top = self
            .values
            .iter()
            .map(|v| *v as f64)
            .chain(self.goal.map(|g| g as f64))
            .chain(std::iter::once(projected_end))
            .fold(0.0, f64::max);
        let mut f = Frame::new(self.title, self.id, 0.0, nice_ceiling(top));
        f.grid(&|v| (self.format)(v.round() as i64));
        let slots = (self.values.len() + extra).max(2);
        let step = f.plot_width() / (slots - 1) as f64;
        let points: Vec<String> = self
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", LEFT + step * i as f64, f.y(*v as f64)))
            .collect();
        if let Some(goal) = self.goal {
            let y = f.y(goal as f64);
            let _ = write!(
                f.svg,
                r#"<line class="goal" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/>"#,
                WIDTH - RIGHT
            );
        }
        if extra > 0 && !self.values.is_empty() {
            let x0 = LEFT + step * (self.values.len() - 1) as f64;
            let x1 = LEFT + step * (slots - 1) as f64;
            let y1 = f.y(projected_end.min(f.max));
            let _ = write!(
                f.svg,
                r#"<line class="projection" x1="{x0:.1}" y1="{:.1}" x2="{x1:.1}" y2="{y1:.1}"/>"#,
                f.y(last)
            );
        }
        let _ = write!(
            f.svg,
            r#"<polyline class="line" points="{}"/>"#,
            points.join(" ")
        );
        // Labels sit under the first and last points here, not in the middle of bar slots.
        if let (Some(first), Some(end)) = (self.labels.first(), self.labels.last()) {
            let last_slot = self.labels.len() - 1;
            for (i, label, anchor) in [(0, first, "start"), (last_slot, end, "end")] {
                let _ = write!(
                    f.svg,
                    r#"<text class="tick" x="{:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
                    LEFT + step * i as f64,
                    HEIGHT - 8.0,
                    escape(label)
                );
            }
        }
        f.finish()
    }
}

/// Vertical bars, one per label; `None` values leave a gap.
pub fn bars(
    title: &str,
    id: &str,
    labels: &[String],
    values: &[Option<f64>],
    format: &dyn Fn(f64) -> String,
) -> String {
    let top = values.iter().flatten().copied().fold(0.0, f64::max);
    let mut f = Frame::new(title, id, 0.0, nice_ceiling(top));
    f.grid(format);
    let n = values.len().max(1);
    let slot = f.plot_width() / n as f64;
    let bar = slot * 0.7;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let y = f.y(*v);
        let _ = write!(
            f.svg,
            r#"<rect class="bar-up" x="{x:.2}" y="{y:.2}" width="{bar:.2}" height="{:.2}"/>"#,
            f.y(0.0) - y
        );
    }
    f.x_labels(labels, n);
    f.finish()
}

/// Horizontal bars with their label and value (the tier mix).
pub fn horizontal_bars(title: &str, id: &str, items: &[(String, i64)]) -> String {
    let row = 36.0;
    let height = (items.len().max(1) as f64) * row + 16.0;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let label_width = 200.0;
    let room = WIDTH - label_width - 80.0;
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 8.0 + row * i as f64;
        let w = room * (*value as f64) / max;
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="bar-up" x="{label_width}" y="{:.1}" width="{w:.1}" height="{:.1}"/><text class="tick" x="{:.1}" y="{:.1}">{value}</text>"#,
            label_width - 8.0,
            y + row * 0.6,
            escape(label),
            y + 4.0,
            row - 10.0,
            label_width + w + 6.0,
            y + row * 0.6,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        for (v, top) in [
            (0.0, 4.0),
            (3.0, 4.0),
            (5.0, 8.0),
            (9.0, 20.0),
            (20_000.0, 20_000.0),
            (20_001.0, 40_000.0),
            (7_300.0, 8_000.0),
            (81.0, 200.0),
        ] {
            assert_eq!(nice_ceiling(v), top, "{v}");
            assert_eq!((top / 4.0).fract(), 0.0, "whole grid steps for {v}");
        }
    }

    #[test]
    fn text_from_staff_is_escaped() {
        let svg = horizontal_bars("Tiers", "t", &[("<script>&".into(), 3)]);
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn lines_draw_the_goal_and_the_projection() {
        let labels: Vec<String> = (1..=3).map(|d| format!("d{d}")).collect();
        let svg = Line {
            title: "Members",
            id: "m",
            labels: &labels,
            values: &[1, 2, 3],
            goal: Some(10),
            projection: Some((2, 1.0)),
            format: &|v| v.to_string(),
        }
        .render();
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains(r#"class="goal""#) && svg.contains(r#"class="projection""#));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
