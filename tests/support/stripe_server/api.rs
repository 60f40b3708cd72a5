//! The API: authentication, idempotency, routing, errors, retrieval, lists and expansion.

use serde_json::{Map, Value, json};

use super::checkout::line_items;
use super::{RecordedRequest, Shared, State, StripeServer};

/// A stored idempotent result, replayed for a repeated key.
pub(super) struct Replay {
    method: String,
    path: String,
    /// Sorted: async-stripe serializes `HashMap`s (metadata) in a random order, and Stripe
    /// compares parameters, not their order.
    params: Vec<(String, String)>,
    response: Response,
}

fn sorted(form: &[(String, String)]) -> Vec<(String, String)> {
    let mut form = form.to_vec();
    form.sort();
    form
}

/// A decoded request.
pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) form: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) content_type: &'static str,
    pub(super) body: Vec<u8>,
    pub(super) replayed: bool,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            content_type: "application/json",
            body: serde_json::to_vec_pretty(body).expect("JSON"),
            replayed: false,
        }
    }

    fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            replayed: false,
        }
    }
}

/// A Stripe API error: `{"error": {"type": …, "message": …, …}}`.
pub(super) struct ApiError {
    status: u16,
    error: Value,
}

pub(super) type ApiResult = Result<Value, ApiError>;

pub(super) fn invalid(param: Option<&str>, message: impl Into<String>) -> ApiError {
    ApiError {
        status: 400,
        error: json!({ "type": "invalid_request_error", "message": message.into(), "param": param }),
    }
}

/// The languages of Stripe's Checkout pages (`auto`: the browser's, where Stripe has it).
/// Stripe has no Ukrainian.
pub(super) const CHECKOUT_LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
    "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt",
    "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

/// The billing portal's languages: Checkout's and more English ones.
pub(super) const PORTAL_LOCALES: &[&str] = &["en-AU", "en-CA", "en-IE", "en-IN", "en-NZ", "en-SG"];

/// The `locale` asked for, refused as Stripe refuses one it does not have.
pub(super) fn locale<'a>(
    form: &'a Params<'_>,
    known: &[&[&str]],
) -> Result<Option<&'a str>, ApiError> {
    match form.get("locale") {
        Some(asked) if !known.iter().any(|list| list.contains(&asked)) => Err(invalid(
            Some("locale"),
            format!(
                "Invalid locale: must be one of {}",
                known.concat().join(", ")
            ),
        )),
        asked => Ok(asked),
    }
}

pub(super) fn missing(param: &str) -> ApiError {
    let mut error = invalid(Some(param), format!("Missing required param: {param}."));
    error.error["code"] = json!("parameter_missing");
    error
}

pub(super) fn no_such(kind: &str, id: &str, param: &str, status: u16) -> ApiError {
    ApiError {
        status,
        error: json!({
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": format!("No such {kind}: '{id}'"),
            "param": param,
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        }),
    }
}

/// Form or query parameters with Stripe's bracketed keys.
pub(super) struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev() // the last value wins, as in Stripe
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn has_prefix(&self, prefix: &str) -> bool {
        self.0.iter().any(|(k, _)| k.starts_with(prefix))
    }

    /// A metadata hash (`metadata[key]=value`, or nested like `subscription_data[metadata]`)
    /// as a JSON object of strings, with Stripe's limits. An empty value means "no such key".
    pub(super) fn metadata(&self, name: &str) -> Result<Value, ApiError> {
        let prefix = format!("{name}[");
        let mut map = Map::new();
        for (key, value) in self.0 {
            let Some(inner) = key.strip_prefix(&prefix).and_then(|k| k.strip_suffix(']')) else {
                continue;
            };
            if inner.chars().count() > 40 || value.chars().count() > 500 {
                return Err(invalid(
                    Some(key),
                    "Metadata keys can be at most 40 characters and values at most 500 characters.",
                ));
            }
            if value.is_empty() {
                map.remove(inner);
            } else {
                map.insert(inner.to_owned(), Value::String(value.clone()));
            }
        }
        if map.len() > 50 {
            return Err(invalid(Some(name), "Metadata can have at most 50 keys."));
        }
        Ok(Value::Object(map))
    }

    /// An array parameter sent as `name=a`, `name[]=a` or `name[0]=a`.
    fn array(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| {
                k == name
                    || k.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix('['))
                        .and_then(|rest| rest.strip_suffix(']'))
                        .is_some_and(|index| index.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A required integer of at least `min`; `too_small` is the error message otherwise.
    pub(super) fn integer_at_least(
        &self,
        key: &str,
        min: i64,
        too_small: &str,
    ) -> Result<i64, ApiError> {
        let value = self.integer(key)?.ok_or_else(|| missing(key))?;
        if value < min {
            return Err(invalid(Some(key), too_small));
        }
        Ok(value)
    }

    pub(super) fn integer(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| invalid(Some(key), format!("Invalid integer: {v}")))
            })
            .transpose()
    }
}

impl Shared {
    pub(super) fn handle(&self, request: Request) -> Response {
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["checkout", id]) => return self.hosted_page("Checkout", id),
            ("GET", ["portal", id]) => return self.hosted_page("Billing portal", id),
            (_, ["v1", ..]) => {}
            _ => return Response::html(404, "<h1>Not found</h1>".into()),
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let idempotency_key = request.header("Idempotency-Key").map(str::to_owned);
        state.requests.push(RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            form: request.form.clone(),
            idempotency_key: idempotency_key.clone(),
            stripe_version: request.header("Stripe-Version").map(str::to_owned),
        });
        if let Err(error) = authenticate(&request) {
            return error_response(error);
        }
        let key = idempotency_key.filter(|_| request.method == "POST");
        if let Some(key) = &key
            && let Some(replay) = state.idempotent.get(key)
        {
            if replay.method == request.method
                && replay.path == request.path
                && replay.params == sorted(&request.form)
            {
                return Response {
                    replayed: true,
                    ..replay.response.clone()
                };
            }
            let mut error = invalid(
                None,
                format!(
                    "Keys for idempotent requests can only be used with the same parameters they \
                     were first used with. Try using a key other than '{key}' if you meant to \
                     execute a different request."
                ),
            );
            error.error["type"] = json!("idempotency_error");
            return error_response(error);
        }
        let response = match self.route(&mut state, &request, &segments[1..]) {
            Ok(body) => Response::json(200, &body),
            Err(error) => error_response(error),
        };
        // Like Stripe, only results of requests that ran are saved; failed validation is not.
        if let Some(key) = key
            && response.status == 200
        {
            state.idempotent.insert(
                key,
                Replay {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    params: sorted(&request.form),
                    response: response.clone(),
                },
            );
        }
        response
    }

    fn route(&self, state: &mut State, request: &Request, segments: &[&str]) -> ApiResult {
        let form = Params(&request.form);
        let query = Params(&request.query);
        // Expansion applies to the response of every call; POSTs send it in the body.
        let params = if request.method == "GET" {
            &query
        } else {
            &form
        };
        let body = match (request.method.as_str(), segments) {
            ("POST", ["customers"]) => {
                let metadata = form.metadata("metadata")?;
                let id = state.new_customer(form.get("email"), form.get("name"), metadata);
                state.get(&id).clone()
            }
            ("GET", ["customers", id]) => retrieve(state, "customer", id)?,
            ("GET", ["customers"]) => {
                let email = query.get("email");
                list(state, "customer", &query, "/v1/customers", |c| {
                    email.is_none_or(|e| c["email"] == e)
                })?
            }
            ("POST", ["checkout", "sessions"]) => self.create_checkout_session(state, &form)?,
            ("GET", ["checkout", "sessions", id]) => retrieve(state, "checkout.session", id)?,
            ("GET", ["checkout", "sessions", id, "line_items"]) => {
                retrieve(state, "checkout.session", id)?;
                line_items(state, id)
            }
            ("GET", ["subscriptions", id]) => retrieve(state, "subscription", id)?,
            ("GET", ["coupons", id]) => retrieve(state, "coupon", id)?,
            ("POST", ["subscriptions", id]) => {
                retrieve(state, "subscription", id)?;
                state.update_subscription(id, &form)?
            }
            ("GET", ["subscriptions"]) => {
                let customer = query.get("customer");
                let status = query.get("status");
                list(state, "subscription", &query, "/v1/subscriptions", |s| {
                    let listed = match status {
                        None => !matches!(
                            s["status"].as_str(),
                            Some("canceled" | "incomplete_expired")
                        ),
                        Some("all") => true,
                        Some("ended") => matches!(
                            s["status"].as_str(),
                            Some("canceled" | "incomplete_expired")
                        ),
                        Some(status) => s["status"] == status,
                    };
                    listed && customer.is_none_or(|c| s["customer"] == c)
                })?
            }
            ("GET", ["invoices", id]) => retrieve(state, "invoice", id)?,
            ("GET", ["invoices"]) => {
                let (customer, subscription) = (query.get("customer"), query.get("subscription"));
                let status = query.get("status");
                list(state, "invoice", &query, "/v1/invoices", |i| {
                    customer.is_none_or(|c| i["customer"] == c)
                        && subscription.is_none_or(|s| {
                            i["parent"]["subscription_details"]["subscription"] == s
                        })
                        && status.is_none_or(|s| i["status"] == s)
                })?
            }
            ("GET", ["charges", id]) => retrieve(state, "charge", id)?,
            ("GET", ["disputes", id]) => retrieve(state, "dispute", id)?,
            ("GET", ["payment_intents", id]) => retrieve(state, "payment_intent", id)?,
            ("POST", ["billing_portal", "sessions"]) => self.create_portal_session(state, &form)?,
            _ => {
                return Err(ApiError {
                    status: 404,
                    error: json!({
                        "type": "invalid_request_error",
                        "message": format!(
                            "Unrecognized request URL ({}: {}). This test server answers only \
                             the calls memberdrive makes.",
                            request.method, request.path
                        ),
                    }),
                });
            }
        };
        let mut body = body;
        for path in params.array("expand") {
            expand(state, &mut body, &path.split('.').collect::<Vec<_>>(), path)?;
        }
        Ok(body)
    }

    /// The "Stripe-hosted" page behind a session's `url`: enough for a browser to land on.
    fn hosted_page(&self, title: &str, id: &str) -> Response {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(object) = state.objects.get(id) else {
            return Response::html(404, format!("<h1>{title}: no session {id}</h1>"));
        };
        let amount = object["amount_total"].as_i64().unwrap_or_default();
        let currency = object["currency"].as_str().unwrap_or_default();
        Response::html(
            200,
            format!(
                "<!doctype html><html lang=\"en\"><head><title>{title} (test)</title></head>\
                 <body><h1>{title} (test)</h1><p id=\"session\">{id}</p>\
                 <p id=\"amount\">{amount} {currency}</p></body></html>"
            ),
        )
    }
}

fn authenticate(request: &Request) -> Result<(), ApiError> {
    let unauthorized = |message: String| ApiError {
        status: 401,
        error: json!({ "type": "invalid_request_error", "message": message }),
    };
    let Some(auth) = request.header("Authorization") else {
        return Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY')."
                .into(),
        ));
    };
    let key = auth.strip_prefix("Bearer ").unwrap_or(auth);
    if key == StripeServer::SECRET_KEY {
        return Ok(());
    }
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(unauthorized(format!(
        "Invalid API Key provided: sk_test_****{tail}"
    )))
}

fn error_response(error: ApiError) -> Response {
    let mut error_object = error.error;
    // Drop `param: null`: Stripe omits absent fields in errors.
    if let Some(map) = error_object.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    Response::json(error.status, &json!({ "error": error_object }))
}

fn retrieve(state: &State, kind: &str, id: &str) -> ApiResult {
    match state.objects.get(id) {
        Some(object) if object["object"] == kind => Ok(object.clone()),
        _ => Err(no_such(kind, id, "id", 404)),
    }
}

/// A Stripe list of one type, newest first, with `limit`, `starting_after` and `ending_before`.
fn list(
    state: &State,
    kind: &str,
    query: &Params,
    url: &str,
    filter: impl Fn(&Value) -> bool,
) -> ApiResult {
    let limit = query.integer("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid(Some("limit"), "Limit must be between 1 and 100."));
    }
    let limit = limit as usize;
    let items: Vec<&Value> = state
        .order
        .iter()
        .rev()
        .map(|id| &state.objects[id])
        .filter(|o| o["object"] == kind && filter(o))
        .collect();
    let position = |cursor: &str, param: &str| {
        items
            .iter()
            .position(|o| o["id"] == cursor)
            .ok_or_else(|| no_such(kind, cursor, param, 400))
    };
    let (start, end) = match (query.get("starting_after"), query.get("ending_before")) {
        (Some(cursor), _) => {
            let start = position(cursor, "starting_after")? + 1;
            (start, (start + limit).min(items.len()))
        }
        (None, Some(cursor)) => {
            let end = position(cursor, "ending_before")?;
            (end.saturating_sub(limit), end)
        }
        (None, None) => (0, limit.min(items.len())),
    };
    let has_more = if query.get("ending_before").is_some() && query.get("starting_after").is_none()
    {
        start > 0
    } else {
        end < items.len()
    };
    Ok(json!({
        "object": "list",
        "data": items[start..end],
        "has_more": has_more,
        "url": url,
    }))
}

/// Applies one `expand[]` path: ids along it become the objects they name. Lists are walked
/// through (`data.customer`), and includable fields (`payments` of an invoice, `line_items`
/// of a Checkout Session) are filled in first.
fn expand(state: &State, value: &mut Value, path: &[&str], full: &str) -> Result<(), ApiError> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(());
    };
    if let Value::Array(items) = value {
        for item in items {
            expand(state, item, path, full)?;
        }
        return Ok(());
    }
    let Some(object) = value.as_object_mut() else {
        return Ok(()); // null along the way: nothing to expand
    };
    let id = object.get("id").and_then(Value::as_str).map(str::to_owned);
    match (object.get("object").and_then(Value::as_str), *head, id) {
        (Some("invoice"), "payments", Some(id)) if !object.contains_key("payments") => {
            let data: Vec<Value> = state
                .invoice_payments(&id)
                .iter()
                .rev()
                .map(|p| state.get(p).clone())
                .collect();
            let list = json!({
                "object": "list", "data": data, "has_more": false,
                "url": format!("/v1/invoices/{id}/payments"),
            });
            object.insert("payments".into(), list);
        }
        (Some("checkout.session"), "line_items", Some(id))
            if !object.contains_key("line_items") =>
        {
            object.insert("line_items".into(), line_items(state, &id));
        }
        _ => {}
    }
    let Some(field) = object.get_mut(*head) else {
        return Err(invalid(
            Some("expand"),
            format!("This property cannot be expanded ({full})."),
        ));
    };
    if rest.is_empty() {
        if let Some(id) = field.as_str() {
            match state.objects.get(id) {
                Some(found) => *field = found.clone(),
                None => {
                    return Err(invalid(
                        Some("expand"),
                        format!("This property cannot be expanded ({full})."),
                    ));
                }
            }
        }
        return Ok(());
    }
    expand(state, field, rest, full)
}
