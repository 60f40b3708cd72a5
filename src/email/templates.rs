//! Typed email templates. Each email is a context struct; [`email_templates!`] ties it to
//! its folder's `subject.txt`, `body.txt` and `body.html`. Text comes from the translation
//! layer (`Lang::tr`), so every email exists in English and Ukrainian.

use askama::Template;

use super::OutgoingEmail;
use crate::i18n::Lang;

/// An email that renders its three parts.
pub trait EmailTemplate {
    /// Renders subject, text and HTML for `to`.
    fn render_email(&self, to: &str) -> askama::Result<OutgoingEmail>;
}

macro_rules! email_templates {
    ($ctx:ident, [$subject:literal, $text:literal, $html:literal], $unsubscribe:expr) => {
        const _: () = {
            #[derive(Template)]
            #[template(path = $subject)]
            struct Subject<'a> {
                c: &'a $ctx,
            }
            #[derive(Template)]
            #[template(path = $text)]
            struct Text<'a> {
                c: &'a $ctx,
            }
            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                c: &'a $ctx,
            }
            impl EmailTemplate for $ctx {
                fn render_email(&self, to: &str) -> askama::Result<OutgoingEmail> {
                    Ok(OutgoingEmail {
                        to: to.to_owned(),
                        subject: Subject { c: self }.render()?.trim().to_owned(),
                        text: Text { c: self }.render()?,
                        html: Html { c: self }.render()?,
                        unsubscribe_url: $unsubscribe(self),
                    })
                }
            }
        };
    };
}

/// Asks a reader to confirm newsletter subscriptions (double opt-in).
#[derive(Debug)]
pub struct ConfirmSubscription {
    /// Reader's language.
    pub lang: Lang,
    /// Newsletter names.
    pub newsletters: Vec<String>,
    /// The confirmation page (GET shows a button; nothing happens until the POST).
    pub confirm_url: String,
    /// One-click unsubscribe.
    pub unsubscribe_url: String,
}
email_templates!(
    ConfirmSubscription,
    [
        "emails/confirm_subscription/subject.txt",
        "emails/confirm_subscription/body.txt",
        "emails/confirm_subscription/body.html"
    ],
    |c: &ConfirmSubscription| Some(c.unsubscribe_url.clone())
);

/// Tells a reader who is already subscribed, instead of sending a new confirmation.
#[derive(Debug)]
pub struct AlreadySubscribed {
    /// Reader's language.
    pub lang: Lang,
    /// Newsletter names.
    pub newsletters: Vec<String>,
    /// Their preference page.
    pub manage_url: String,
    /// One-click unsubscribe.
    pub unsubscribe_url: String,
}
email_templates!(
    AlreadySubscribed,
    [
        "emails/already_subscribed/subject.txt",
        "emails/already_subscribed/body.txt",
        "emails/already_subscribed/body.html"
    ],
    |c: &AlreadySubscribed| Some(c.unsubscribe_url.clone())
);

/// Welcomes a reader whose subscription is confirmed.
#[derive(Debug)]
pub struct SubscriptionConfirmed {
    /// Reader's language.
    pub lang: Lang,
    /// Newsletter names.
    pub newsletters: Vec<String>,
    /// Their preference page.
    pub manage_url: String,
    /// One-click unsubscribe.
    pub unsubscribe_url: String,
}
email_templates!(
    SubscriptionConfirmed,
    [
        "emails/subscription_confirmed/subject.txt",
        "emails/subscription_confirmed/body.txt",
        "emails/subscription_confirmed/body.html"
    ],
    |c: &SubscriptionConfirmed| Some(c.unsubscribe_url.clone())
);

#[cfg(test)]
mod tests {
    use super::*;

    fn confirm(lang: Lang, name: &str) -> OutgoingEmail {
        ConfirmSubscription {
            lang,
            newsletters: vec![name.to_owned()],
            confirm_url: "https://news.example/newsletters/confirm?token=abc&x=1".into(),
            unsubscribe_url: "https://news.example/unsubscribe?token=def".into(),
        }
        .render_email("reader@news.example")
        .unwrap()
    }

    #[test]
    fn both_parts_carry_the_same_link_and_html_is_escaped() {
        let email = confirm(Lang::En, "<script>alert(1)</script>");
        assert!(
            email
                .text
                .contains("https://news.example/newsletters/confirm?token=abc&x=1")
        );
        assert!(
            email
                .html
                .contains("href=\"https://news.example/newsletters/confirm?token=abc&#38;x=1\""),
            "{}",
            email.html
        );
        assert!(
            email.text.contains("<script>alert(1)</script>"),
            "text is not HTML"
        );
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email.html.contains("&#60;script&#62;"), "{}", email.html);
        assert!(!email.subject.contains('\n'));
    }

    #[test]
    fn every_email_exists_in_english_and_ukrainian() {
        let en = confirm(Lang::En, "The Briefing");
        let uk = confirm(Lang::Uk, "The Briefing");
        assert_ne!(en.subject, uk.subject);
        assert_ne!(en.text, uk.text);
        for email in [&en, &uk] {
            assert!(
                !email.text.contains("email-"),
                "a message id leaked: {}",
                email.text
            );
            assert!(
                !email.html.contains("email-"),
                "a message id leaked: {}",
                email.html
            );
        }
    }
}
