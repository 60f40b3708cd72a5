//! Urlencoded form bodies, read one way for every form we parse by hand: the fields in the
//! order posted (a name may repeat, as `newsletter` does), and a clear 400 for a body that is
//! not text. A NUL byte would reach PostgreSQL and fail the query there (SQLite would store
//! it), and invalid UTF-8 decoded lossily once became a deliverable address, so neither
//! gets past this edge.

use std::borrow::Cow;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{Error, FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::web::error::{AppError, accepts_json};

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Decodes `body`, refusing invalid UTF-8 and control characters other than tab, CR and
    /// LF (which a `<textarea>` posts) with 400 `invalid_form`.
    pub fn parse(body: &[u8]) -> Result<Form, AppError> {
        body.split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, &[][..]),
                };
                Ok((decode(name)?, decode(value)?))
            })
            .collect::<Result<_, _>>()
            .map(Form)
    }

    /// The value of field `name`; when it repeats, the last one (as a browser's own form
    /// never repeats a single-valued field, the last is as good as any and keeps what the
    /// hand-written loops did).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the hidden field of `templates/honeypot.html` was filled in: people never see
    /// it, bots fill in every field.
    pub fn is_bot(&self) -> bool {
        self.get("website").is_some_and(|v| !v.trim().is_empty())
    }

    /// The fields, in the order posted.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Every value of field `name`, in the order posted.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.fields()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Read by [`deserialize`] (so by `StaffForm<Form>`) with the same checks as [`Form::parse`].
impl<'de> serde::Deserialize<'de> for Form {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Form, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(Form)
    }
}

/// A form with known fields, read into `T` after [`Form::parse`]'s checks. actix's
/// `web::Form` would decode invalid UTF-8 lossily and pass a NUL byte on; every form of ours
/// that is not read field by field goes through [`deserialize`] instead, this extractor
/// included.
pub struct TextForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for TextForm<T> {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move { Ok(TextForm(deserialize(&body.await?)?)) })
    }
}

/// Reads a urlencoded body into `T`: 400 `invalid_form` for what is not text (as
/// [`Form::parse`]) or does not fit `T`.
pub fn deserialize<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    Form::parse(body)?;
    serde_urlencoded::from_bytes(body).map_err(|e| {
        AppError::client(
            StatusCode::BAD_REQUEST,
            "invalid_form",
            format!("The form could not be read: {e}."),
        )
    })
}

/// The 400 `invalid_address` for a request whose path or query string decodes to a control
/// character or to bytes that are not UTF-8: such a value would reach a query as a path
/// segment or a search term (and PostgreSQL refuses a NUL byte with an error). Addresses
/// without `%` and non-ASCII bytes (nearly all of them) are not decoded at all.
pub fn unreadable_url(req: &HttpRequest) -> Option<AppError> {
    let suspect = |s: &str| s.bytes().any(|b| b == b'%' || !b.is_ascii());
    let uri = req.uri();
    let unreadable = (suspect(uri.path()) && decode(uri.path().as_bytes()).is_err())
        || uri
            .query()
            .is_some_and(|q| suspect(q) && Form::parse(q.as_bytes()).is_err());
    unreadable.then(|| {
        AppError::client(
            StatusCode::BAD_REQUEST,
            "invalid_address",
            "This address could not be read: it contains a control character or text that \
             is not UTF-8.",
        )
        .json(accepts_json(req))
    })
}

/// One name or value: `+` is a space, `%XX` a byte, and the bytes must be text.
fn decode(raw: &[u8]) -> Result<String, AppError> {
    let spaced: Cow<'_, [u8]> = if raw.contains(&b'+') {
        raw.iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect::<Vec<u8>>()
            .into()
    } else {
        raw.into()
    };
    let bytes: Cow<'_, [u8]> = percent_encoding::percent_decode(&spaced).into();
    let text = String::from_utf8(bytes.into_owned()).map_err(|_| invalid())?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(invalid());
    }
    Ok(text)
}

fn invalid() -> AppError {
    AppError::client(
        StatusCode::BAD_REQUEST,
        "invalid_form",
        "The form could not be read: it contains a control character or text that is not \
         UTF-8. Please check what you typed and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(body: &[u8]) -> Vec<(String, String)> {
        Form::parse(body)
            .unwrap_or_else(|e| panic!("{body:?}: {e:?}"))
            .0
    }

    #[test]
    fn fields_decode_like_a_browser_encodes_them() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        for (body, expected, why) in [
            (&b""[..], pairs(&[]), "an empty body"),
            (
                b"a=1&&b=2&",
                pairs(&[("a", "1"), ("b", "2")]),
                "empty pairs",
            ),
            (b"a", pairs(&[("a", "")]), "a name without ="),
            (b"a=1=2", pairs(&[("a", "1=2")]), "= in a value"),
            (b"q=a+b%2Bc", pairs(&[("q", "a b+c")]), "+ and %2B"),
            (b"n%5B%5D=x", pairs(&[("n[]", "x")]), "an encoded name"),
            (b"x=%E2%82%B4", pairs(&[("x", "₴")]), "UTF-8"),
            (b"x=%zz%4", pairs(&[("x", "%zz%4")]), "a stray %"),
            (
                b"m=one%0D%0Atwo%09three",
                pairs(&[("m", "one\r\ntwo\tthree")]),
                "a textarea's line breaks and tabs",
            ),
            (
                b"newsletter=a&email=e&newsletter=b",
                pairs(&[("newsletter", "a"), ("email", "e"), ("newsletter", "b")]),
                "a repeated field",
            ),
        ] {
            assert_eq!(fields(body), expected, "{why}");
        }
    }

    #[test]
    fn control_characters_and_invalid_utf8_are_refused() {
        for (body, why) in [
            (&b"email=a%00b%40example.com"[..], "NUL in a value"),
            (b"campaign=%00", "NUL alone"),
            (b"a%00=1", "NUL in a name"),
            (b"email=a\0b", "a raw NUL"),
            (b"x=%1B%5B31m", "an escape"),
            (b"x=%7F", "DEL"),
            (b"x=%C2%85", "a C1 control (NEL)"),
            (b"email=%FF%FE%40example.com", "invalid UTF-8"),
            (b"email=\xff\xfe@example.com", "raw invalid UTF-8"),
            (b"x=%C3", "a truncated sequence"),
            (b"x=%ED%A0%80", "a surrogate"),
        ] {
            let error = Form::parse(body).expect_err(why);
            assert_eq!(error.code(), "invalid_form", "{why}");
        }
    }

    #[test]
    fn a_single_field_reads_its_last_value_and_a_repeated_one_all() {
        let form = Form::parse(b"lang=en&newsletter=a&lang=uk&newsletter=b").unwrap();
        assert_eq!(form.get("lang"), Some("uk"));
        assert_eq!(form.get("email"), None);
        assert_eq!(form.all("newsletter").collect::<Vec<_>>(), ["a", "b"]);
    }
}
