//! Typed email templates. Each email is a context struct; [`email_templates!`] ties it to
//! its folder's `subject.txt`, `body.txt` and `body.html`. Text comes from the translation
//! layer (`Lang::tr`), so every email exists in English and Ukrainian.

use askama::Template;

use super::OutgoingEmail;
use crate::branding::Brand;
use crate::domain::BillingInterval;
use crate::i18n::Lang;

/// An email that renders its three parts.
pub trait EmailTemplate {
    /// Renders subject, text and HTML for `to`, in the outlet's `brand` (its logo, colour,
    /// footer, and the name the email comes from).
    fn render_email(&self, to: &str, brand: &Brand) -> askama::Result<OutgoingEmail>;
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
                brand: &'a Brand,
            }
            #[derive(Template)]
            #[template(path = $html)]
            struct Html<'a> {
                c: &'a $ctx,
                brand: &'a Brand,
            }
            impl EmailTemplate for $ctx {
                fn render_email(&self, to: &str, brand: &Brand) -> askama::Result<OutgoingEmail> {
                    Ok(OutgoingEmail {
                        to: to.to_owned(),
                        from_name: brand.from_name().map(str::to_owned),
                        subject: Subject { c: self }.render()?.trim().to_owned(),
                        text: Text { c: self, brand }.render()?,
                        html: Html { c: self, brand }.render()?,
                        unsubscribe_url: $unsubscribe(self),
                        newsletter: None,
                    })
                }
            }
        };
    };
}

/// A newsletter edition, to one subscriber.
#[derive(Debug)]
pub struct EditionEmail {
    /// The newsletter's language (the edition is written in it).
    pub lang: Lang,
    /// Subject line.
    pub subject: String,
    /// The preview text an inbox shows after the subject ("" for none).
    pub preheader: String,
    /// "You receive this because you subscribed to …".
    pub why: String,
    /// The edition as HTML.
    pub html: String,
    /// The edition as text (its Markdown).
    pub text: String,
    /// Their preference page.
    pub manage_url: String,
    /// One-click unsubscribe from this newsletter.
    pub unsubscribe_url: String,
}
email_templates!(
    EditionEmail,
    [
        "emails/edition/subject.txt",
        "emails/edition/body.txt",
        "emails/edition/body.html"
    ],
    |c: &EditionEmail| Some(c.unsubscribe_url.clone())
);

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

/// The emails after a renewal could not be collected, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dunning {
    /// At once: the payment failed.
    Failed,
    /// Some days later, still unpaid.
    Reminder,
    /// Before Stripe stops retrying.
    LastNotice,
}

/// Why a staff member is sent a link to choose a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffLink {
    /// An admin invited them: their account has no password yet.
    Invite,
    /// An admin (or the operator, `memberdrive staff reset-password`) asked for a new one.
    Reset,
    /// They asked on the sign-in page.
    Forgot,
}

/// The membership emails (welcome, receipt, payment failed, cancellation, renewal reminder):
/// one paragraph and one button to the reader's account. They share one template folder,
/// `emails/notice/`, because they differ only in words; [`Notice`]'s constructors pick them.
#[derive(Debug)]
pub struct Notice {
    /// Reader's language.
    pub lang: Lang,
    /// Subject line.
    pub subject: String,
    /// The paragraph.
    pub body: String,
    /// The button's label.
    pub action: String,
    /// The button's link.
    pub action_url: String,
}
email_templates!(
    Notice,
    [
        "emails/notice/subject.txt",
        "emails/notice/body.txt",
        "emails/notice/body.html"
    ],
    |_: &Notice| None
);

impl Notice {
    fn new(lang: Lang, subject: String, body: String, action: &str, action_url: &str) -> Notice {
        Notice {
            lang,
            subject,
            body,
            action: lang.tr(action),
            action_url: action_url.to_owned(),
        }
    }

    /// Last year's payments, each January, to members who asked for it.
    pub fn statement(
        lang: Lang,
        year: i32,
        payments: &str,
        total: &str,
        account_url: &str,
    ) -> Notice {
        let args = [
            ("year", year.to_string().into()),
            ("payments", payments.to_owned().into()),
            ("total", total.to_owned().into()),
        ];
        Notice::new(
            lang,
            lang.t("email-statement-subject", &args),
            lang.t("email-statement-body", &args),
            "email-statement-action",
            account_url,
        )
    }

    /// Confirms a "remind me later" request (double opt-in).
    pub fn remind_confirm(lang: Lang, campaign: &str, confirm_url: &str) -> Notice {
        let args = [("campaign", campaign.to_owned().into())];
        Notice::new(
            lang,
            lang.t("email-remind-confirm-subject", &args),
            lang.t("email-remind-confirm-body", &args),
            "email-remind-confirm-action",
            confirm_url,
        )
    }

    /// The one reminder a reader asked for.
    pub fn remind_later(lang: Lang, campaign: &str, join_url: &str) -> Notice {
        let args = [("campaign", campaign.to_owned().into())];
        Notice::new(
            lang,
            lang.t("email-remind-later-subject", &args),
            lang.t("email-remind-later-body", &args),
            "email-remind-later-action",
            join_url,
        )
    }

    /// After the first successful payment.
    pub fn welcome(lang: Lang, campaign: &str, tier: Option<&str>, account_url: &str) -> Notice {
        let body = match tier {
            Some(tier) => lang.t(
                "email-welcome-tier-body",
                &[
                    ("campaign", campaign.to_owned().into()),
                    ("tier", tier.to_owned().into()),
                ],
            ),
            None => lang.t(
                "email-welcome-body",
                &[("campaign", campaign.to_owned().into())],
            ),
        };
        Notice::new(
            lang,
            lang.tr("email-welcome-subject"),
            body,
            "email-account",
            account_url,
        )
    }

    /// To the buyer of a gift, once it is paid.
    pub fn gift_receipt(
        lang: Lang,
        amount: &str,
        recipient: &str,
        deliver_on: &str,
        gift_url: &str,
    ) -> Notice {
        let args = [
            ("amount", amount.to_owned().into()),
            ("recipient", recipient.to_owned().into()),
            ("date", deliver_on.to_owned().into()),
        ];
        Notice::new(
            lang,
            lang.t("email-gift-receipt-subject", &args),
            lang.t("email-gift-receipt-body", &args),
            "email-gift-another",
            gift_url,
        )
    }

    /// The gift itself, on its date, with its redeem link.
    pub fn gift(
        lang: Lang,
        from: &str,
        tier: &str,
        outlet: &str,
        months: i32,
        message: &str,
        redeem_url: &str,
    ) -> Notice {
        let args = [
            ("from", from.to_owned().into()),
            ("tier", tier.to_owned().into()),
            ("campaign", outlet.to_owned().into()),
            ("months", months.into()),
        ];
        let mut body = lang.t("email-gift-body", &args);
        if !message.is_empty() {
            body.push_str("\n\n");
            body.push_str(&lang.t(
                "email-gift-message",
                &[("message", message.to_owned().into())],
            ));
        }
        Notice::new(
            lang,
            lang.t("email-gift-subject", &args),
            body,
            "email-gift-redeem",
            redeem_url,
        )
    }

    /// To the buyer, when their gift was redeemed.
    pub fn gift_redeemed(lang: Lang, recipient: &str, gift_url: &str) -> Notice {
        let args = [("recipient", recipient.to_owned().into())];
        Notice::new(
            lang,
            lang.t("email-gift-redeemed-subject", &args),
            lang.t("email-gift-redeemed-body", &args),
            "email-gift-another",
            gift_url,
        )
    }

    /// To a gift member a week before the gift ends.
    pub fn gift_ending(lang: Lang, until: &str, join_url: &str) -> Notice {
        let args = [("until", until.to_owned().into())];
        Notice::new(
            lang,
            lang.tr("email-gift-ending-subject"),
            lang.t("email-gift-ending-body", &args),
            "email-gift-continue",
            join_url,
        )
    }

    /// For every payment.
    pub fn receipt(
        lang: Lang,
        amount: &str,
        date: &str,
        interval: BillingInterval,
        account_url: &str,
    ) -> Notice {
        let what = lang.tr(&format!("email-receipt-{interval}"));
        let args = [
            ("amount", amount.to_owned().into()),
            ("date", date.to_owned().into()),
            ("what", what.into()),
        ];
        let subject = lang.t("email-receipt-subject", &args[..1]);
        Notice::new(
            lang,
            subject,
            lang.t("email-receipt-body", &args),
            "email-account",
            account_url,
        )
    }

    /// A renewal could not be collected: at once, as a reminder, or as the last notice.
    pub fn payment_failed(lang: Lang, step: Dunning, amount: &str, account_url: &str) -> Notice {
        let (subject, body) = match step {
            Dunning::Failed => ("email-failed-subject", "email-failed-body"),
            Dunning::Reminder => (
                "email-failed-reminder-subject",
                "email-failed-reminder-body",
            ),
            Dunning::LastNotice => ("email-failed-last-subject", "email-failed-last-body"),
        };
        Notice::new(
            lang,
            lang.tr(subject),
            lang.t(body, &[("amount", amount.to_owned().into())]),
            "email-failed-action",
            account_url,
        )
    }

    /// Cancelled: a member until `until`, or ended now.
    pub fn cancelled(lang: Lang, until: Option<&str>, account_url: &str) -> Notice {
        let body = match until {
            Some(until) => lang.t("email-cancel-body", &[("until", until.to_owned().into())]),
            None => lang.tr("email-cancel-body-now"),
        };
        Notice::new(
            lang,
            lang.tr("email-cancel-subject"),
            body,
            "email-account",
            account_url,
        )
    }

    /// A link that signs a member in.
    pub fn sign_in_link(lang: Lang, url: &str) -> Notice {
        Notice::new(
            lang,
            lang.tr("acct-link-subject"),
            lang.tr("acct-link-email"),
            "acct-link-button",
            url,
        )
    }

    /// A link that lets a staff member choose a (new) password.
    pub fn staff_link(lang: Lang, link: StaffLink, email: &str, url: &str) -> Notice {
        let (subject, body, button) = match link {
            StaffLink::Reset => (
                "staff-reset-subject",
                "staff-reset-email",
                "staff-reset-button",
            ),
            StaffLink::Forgot => (
                "staff-forgot-subject",
                "staff-forgot-email",
                "staff-reset-button",
            ),
            StaffLink::Invite => (
                "staff-invite-subject",
                "staff-invite-email",
                "staff-invite-button",
            ),
        };
        let body = lang.t(body, &[("email", email.to_owned().into())]);
        Notice::new(lang, lang.tr(subject), body, button, url)
    }

    /// Before a yearly renewal: its amount, its date and how to cancel.
    pub fn renewal_reminder(lang: Lang, amount: &str, date: &str, account_url: &str) -> Notice {
        let args = [
            ("amount", amount.to_owned().into()),
            ("date", date.to_owned().into()),
        ];
        Notice::new(
            lang,
            lang.t("email-reminder-subject", &args),
            lang.t("email-reminder-body", &args),
            "email-account",
            account_url,
        )
    }
}

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
        .render_email("reader@news.example", &Brand::default())
        .unwrap()
    }

    #[test]
    fn a_brand_shows_its_logo_colour_footer_and_sender_name() {
        let brand = Brand {
            outlet_name: "Kyiv <Courier>".into(),
            logo_url: "https://courier.example/logo.png".into(),
            accent_colour: "#ffd500".into(),
            email_footer: "1 Khreshchatyk St\nKyiv 01001".into(),
            privacy_url: "https://courier.example/privacy".into(),
            ..Brand::default()
        };
        let email = Notice::sign_in_link(Lang::En, "https://news.example/account/sign-in?token=t")
            .render_email("a@news.example", &brand)
            .unwrap();
        assert_eq!(email.from_name.as_deref(), Some("Kyiv <Courier>"));
        for part in [
            r#"src="https://courier.example/logo.png""#,
            "alt=\"Kyiv &#60;Courier&#62;\"",
            "background:#ffd500;color:#1b1d21",
            "1 Khreshchatyk St<br>Kyiv 01001",
        ] {
            assert!(email.html.contains(part), "{part}: {}", email.html);
        }
        for part in [
            "1 Khreshchatyk St\nKyiv 01001\n",
            "https://courier.example/privacy",
        ] {
            assert!(email.text.contains(part), "{part}: {}", email.text);
        }
        let plain = Notice::sign_in_link(Lang::En, "https://news.example/account/sign-in?token=t")
            .render_email("a@news.example", &Brand::default())
            .unwrap();
        assert_eq!(plain.from_name, None);
        assert!(
            plain.html.contains("background:#0a58ca;color:#ffffff"),
            "{}",
            plain.html
        );
        assert!(!plain.html.contains("<img"), "{}", plain.html);
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
    fn an_edition_opens_with_its_preheader_hidden_and_escaped() {
        let edition = |preheader: &str| {
            EditionEmail {
                lang: Lang::En,
                subject: "Morning briefing".into(),
                preheader: preheader.into(),
                why: "You receive this because you subscribed to News.".into(),
                html: "<h1>Morning briefing</h1>".into(),
                text: "# Morning briefing".into(),
                manage_url: "https://news.example/newsletters/manage?token=m".into(),
                unsubscribe_url: "https://news.example/unsubscribe?token=u".into(),
            }
            .render_email("reader@news.example", &Brand::default())
            .unwrap()
        };
        let email = edition("The budget, and <what> it changes");
        let body = email.html.split_once("<body").unwrap().1;
        let first = body.split_once('>').unwrap().1.trim_start();
        assert!(
            first.starts_with(
                "<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">\
                 The budget, and &#60;what&#62; it changes&#847;&zwnj;&nbsp;"
            ),
            "{first}"
        );
        assert!(!email.text.contains("The budget"), "{}", email.text);
        assert!(!edition("").html.contains("display:none"));
    }

    #[test]
    fn membership_notices_read_well_in_both_languages() {
        let en = Notice::receipt(
            Lang::En,
            "€5",
            "2026-11-27",
            BillingInterval::Month,
            "https://news.example/account",
        )
        .render_email("a@news.example", &Brand::default())
        .unwrap();
        assert_eq!(en.subject, "Your receipt: €5");
        assert!(
            en.text
                .contains("We received €5 on 2026-11-27 for: monthly membership."),
            "{}",
            en.text
        );
        assert!(
            en.text.contains("https://news.example/account")
                && en.html.contains("https://news.example/account")
        );
        assert!(
            en.unsubscribe_url.is_none(),
            "transactional mail has no unsubscribe link"
        );
        let uk = Notice::cancelled(Lang::Uk, Some("2026-12-27"), "https://news.example/account")
            .render_email("a@news.example", &Brand::default())
            .unwrap();
        assert!(uk.text.contains("до 2026-12-27"), "{}", uk.text);
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
