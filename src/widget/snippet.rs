//! The iframe embed code, as the staff embed page and the demo article give it to outlets.

/// The script that follows the iframe in the embed code. It names the article to the iframe
/// (`?ref=`, as `embed.js` does: a browser's default referrer policy tells another origin only
/// the article's origin, not its address), and sets the iframe's height to the one its page
/// reports (`memberdrive:height`, from our origin and from that very iframe only). Where an
/// article's site strips scripts, the iframe still shows, at its fixed height, uncredited.
const LISTENER: &str = concat!(
    "(function(f){var u=new URL(f.src);u.searchParams.set(\"ref\",location.origin+location.pathname);f.src=u;",
    "addEventListener(\"message\",function(e){var m=e.data;",
    "if(e.origin==u.origin&&e.source==f.contentWindow&&m&&m.type==\"memberdrive:height\"&&m.height>0)",
    "f.style.height=m.height+\"px\"})})(document.currentScript.previousElementSibling)"
);

/// The listener as a CSP source (`'sha256-…'`), for our own pages that show the embed code
/// at work (the demo article): our CSP allows no other inline script.
pub fn listener_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(LISTENER.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The iframe's height until its page reports one, or for good without the script: the
/// widget's own height, in English on a wide column.
pub const FRAME_HEIGHT_PX: u32 = 160;

/// The embed code for `slug` on a service at `base` (no trailing slash): the iframe, then its
/// script. `title` is the iframe's accessible name, already escaped for an attribute.
pub fn iframe_snippet(base: &str, slug: &str, title: &str) -> String {
    format!(
        "<iframe src=\"{base}/widget/{slug}\" title=\"{title}\" style=\"border:0;width:100%;height:{FRAME_HEIGHT_PX}px\" loading=\"lazy\"></iframe>\n<script>{LISTENER}</script>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_follows_its_iframe_and_names_no_other_origin() {
        let snippet = iframe_snippet(
            "https://members.news.example",
            "members",
            "Our &quot;drive&quot;",
        );
        let (iframe, script) = snippet.split_once('\n').unwrap();
        assert!(
            iframe.starts_with("<iframe src=\"https://members.news.example/widget/members\" title=\"Our &quot;drive&quot;\""),
            "{iframe}"
        );
        assert!(iframe.ends_with("></iframe>"), "{iframe}");
        // The origin it trusts is the iframe's own, whatever the outlet edits in its src.
        assert!(script.contains("e.origin==u.origin"), "{script}");
        assert!(!script.contains("members.news.example"), "{script}");
        assert!(script.starts_with("<script>") && script.ends_with("</script>"));
        assert_eq!(
            &script["<script>".len()..script.len() - "</script>".len()],
            LISTENER
        );
        assert!(listener_hash().starts_with("'sha256-"));
    }
}
