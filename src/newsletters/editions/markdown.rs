//! An edition's Markdown as email HTML: CommonMark with tables and strikethrough. Raw HTML in
//! the source is shown as text, not passed on: an edition is written by staff, but a pasted
//! `<script>` or `<style>` has no place in an email.

use pulldown_cmark::{Event, Options, Parser, html};

/// The HTML of `markdown`.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_becomes_html_and_raw_html_stays_text() {
        let html = to_html(
            "# Morning briefing\n\nThe council **approved** the [budget](https://news.example/b).\n\n<script>alert(1)</script>\n",
        );
        assert!(html.contains("<h1>Morning briefing</h1>"), "{html}");
        assert!(
            html.contains(
                r#"<strong>approved</strong> the <a href="https://news.example/b">budget</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }
}
