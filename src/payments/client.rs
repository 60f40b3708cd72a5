//! The Stripe API as this service uses it, over async-stripe.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use stripe::{Client, ClientBuilder, StripeError};
use stripe_billing::BillingPortalSessionLocale;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::RetrieveInvoice;
use stripe_billing::subscription::{
    DiscountsDataParam, ListSubscription, ListSubscriptionStatus, RetrieveSubscription,
    UpdateSubscription, UpdateSubscriptionPauseCollection,
    UpdateSubscriptionPauseCollectionBehavior,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionCustomerCreation, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSubscriptionData, ProductData,
    RetrieveCheckoutSession,
};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::charge::RetrieveCharge;
use stripe_core::customer::{RetrieveCustomer, RetrieveCustomerReturned};
use stripe_core::dispute::RetrieveDispute;
use stripe_core::payment_intent::RetrievePaymentIntent;
use stripe_shared::{
    Charge, CheckoutSession, CheckoutSessionLocale, CheckoutSessionMode, Coupon, Dispute, Invoice,
    Subscription,
};

use crate::config::Settings;
use crate::domain::BillingInterval;
use crate::i18n::Lang;
use crate::jobs::worker::JobError;

/// What a path segment escapes: all but RFC 3986's unreserved characters.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Each attempt gets this long; the client does not retry on its own (jobs do).
const TIMEOUT: Duration = Duration::from_secs(20);

/// A configured Stripe client.
pub struct StripeApi {
    client: Client,
}

/// What a reader is about to pay for. It names no member and no customer: Checkout collects
/// the address (or starts from the one the reader typed) and creates the customer when the
/// reader pays, so nothing exists for an address before then.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// The address the reader typed, if any: Checkout starts from it.
    pub email: Option<String>,
    /// Monthly, yearly or once.
    pub interval: BillingInterval,
    /// Minor units.
    pub amount: i64,
    /// ISO currency.
    pub currency: String,
    /// What the reader sees on Stripe's page.
    pub product_name: String,
    /// Where Stripe sends the reader after paying, and after giving up.
    pub success_url: String,
    /// See `success_url`.
    pub cancel_url: String,
    /// Marks every object Stripe makes from this session as ours.
    pub metadata: HashMap<String, String>,
    /// The reader's language, for Stripe's page.
    pub lang: Lang,
}

/// Stripe's pages in the reader's language where Stripe has it. Stripe has no Ukrainian
/// Checkout or portal: a Ukrainian reader gets `auto`, the browser's language where Stripe has
/// it (else English), rather than English forced on them.
fn stripe_locale(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Uk => "auto",
    }
}

impl StripeApi {
    /// From the settings; `None` when paid membership is switched off.
    pub fn new(settings: &Settings) -> anyhow::Result<Option<StripeApi>> {
        let Some(key) = &settings.stripe_secret_key else {
            return Ok(None);
        };
        let client = ClientBuilder::new(key.expose())
            .url(settings.stripe_api_base.as_str())
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
        Ok(Some(StripeApi { client }))
    }

    /// Creates a Checkout Session: subscription mode for recurring, payment mode for once.
    pub async fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> Result<CheckoutSession, StripeError> {
        let currency: stripe_types::Currency = req
            .currency
            .parse()
            .map_err(|_| StripeError::ConfigError(format!("currency {}", req.currency)))?;
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
        price.unit_amount = Some(req.amount);
        price.product_data = Some(ProductData::new(req.product_name.clone()));
        let recurring = match req.interval {
            BillingInterval::Month => {
                Some(CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month)
            }
            BillingInterval::Year => {
                Some(CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year)
            }
            BillingInterval::Once => None,
        };
        price.recurring = recurring
            .clone()
            .map(CreateCheckoutSessionLineItemsPriceDataRecurring::new);
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);
        let mut session = CreateCheckoutSession::new()
            .line_items(vec![item])
            .metadata(req.metadata.clone())
            .locale(CheckoutSessionLocale::from_str(stripe_locale(req.lang)).expect("infallible"))
            .success_url(req.success_url.clone())
            .cancel_url(req.cancel_url.clone());
        if let Some(email) = &req.email {
            session = session.customer_email(email.clone());
        }
        session = if recurring.is_some() {
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(req.metadata.clone());
            session
                .mode(CheckoutSessionMode::Subscription)
                .subscription_data(data)
        } else {
            let mut data = CreateCheckoutSessionPaymentIntentData::new();
            data.metadata = Some(req.metadata.clone());
            // A donor becomes a customer too, so the member made at completion has one.
            session
                .mode(CheckoutSessionMode::Payment)
                .customer_creation(CreateCheckoutSessionCustomerCreation::Always)
                .payment_intent_data(data)
        };
        // No idempotency key: the client does not retry, and a reader who sends the form
        // again gets a new session, which is what they asked for.
        session.send(&self.client).await
    }

    /// A customer's email address; `None` for a deleted customer or one without an address.
    pub async fn customer_email(&self, id: &str) -> Result<Option<String>, StripeError> {
        Ok(match RetrieveCustomer::new(id).send(&self.client).await? {
            RetrieveCustomerReturned::Customer(customer) => customer.email,
            RetrieveCustomerReturned::DeletedCustomer(_) => None,
        })
    }

    /// A billing portal session for a member (cancel, change card, change tier).
    pub async fn billing_portal(
        &self,
        customer: &str,
        return_url: &str,
        lang: Lang,
    ) -> Result<String, StripeError> {
        let session = CreateBillingPortalSession::new()
            .customer(customer)
            .locale(BillingPortalSessionLocale::from_str(stripe_locale(lang)).expect("infallible"))
            .return_url(return_url)
            .send(&self.client)
            .await?;
        Ok(session.url)
    }

    /// The current state of a Checkout Session.
    pub async fn checkout_session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        RetrieveCheckoutSession::new(id).send(&self.client).await
    }

    /// The current state of a subscription.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, StripeError> {
        RetrieveSubscription::new(id).send(&self.client).await
    }

    /// Pauses a subscription's payments until `resumes_at` (Unix seconds): its invoices
    /// meanwhile are voided, and Stripe resumes collecting by itself then.
    pub async fn pause(&self, id: &str, resumes_at: i64) -> Result<Subscription, StripeError> {
        let mut pause =
            UpdateSubscriptionPauseCollection::new(UpdateSubscriptionPauseCollectionBehavior::Void);
        pause.resumes_at = Some(resumes_at);
        UpdateSubscription::new(id)
            .pause_collection(pause)
            .send(&self.client)
            .await
    }

    /// Cancels a subscription at the end of the period paid for.
    pub async fn cancel_at_period_end(&self, id: &str) -> Result<Subscription, StripeError> {
        UpdateSubscription::new(id)
            .cancel_at_period_end(true)
            .send(&self.client)
            .await
    }

    /// A coupon made in the outlet's Stripe dashboard (async-stripe's coupon requests live in
    /// a crate of their own; this one GET is all we need of it).
    pub async fn coupon(&self, id: &str) -> Result<Coupon, StripeError> {
        let id = percent_encoding::utf8_percent_encode(id, PATH_SEGMENT);
        let path = format!("/coupons/{id}");
        RequestBuilder::new(StripeMethod::Get, path)
            .customize::<Coupon>()
            .send(&self.client)
            .await
    }

    /// Applies a coupon to a subscription's coming invoices (replacing any discount it had).
    pub async fn apply_coupon(
        &self,
        subscription: &str,
        coupon: &str,
    ) -> Result<Subscription, StripeError> {
        let mut discount = DiscountsDataParam::new();
        discount.coupon = Some(coupon.to_owned());
        UpdateSubscription::new(subscription)
            .discounts(vec![discount])
            .send(&self.client)
            .await
    }

    /// An invoice with its payments (which name the payment intent).
    pub async fn invoice(&self, id: &str) -> Result<Invoice, StripeError> {
        RetrieveInvoice::new(id)
            .expand(vec!["payments".to_owned()])
            .send(&self.client)
            .await
    }

    /// A charge (refunds, disputes).
    pub async fn charge(&self, id: &str) -> Result<Charge, StripeError> {
        RetrieveCharge::new(id).send(&self.client).await
    }

    /// The charge a payment intent made last (its refund and dispute state), if any.
    pub async fn latest_charge(&self, payment_intent: &str) -> Result<Option<Charge>, StripeError> {
        let intent = RetrievePaymentIntent::new(payment_intent)
            .send(&self.client)
            .await?;
        match intent.latest_charge {
            Some(charge) => self.charge(charge.id().as_str()).await.map(Some),
            None => Ok(None),
        }
    }

    /// A dispute.
    pub async fn dispute(&self, id: &str) -> Result<Dispute, StripeError> {
        RetrieveDispute::new(id).send(&self.client).await
    }

    /// Every subscription on the account, all statuses, one page at a time.
    pub async fn subscriptions_page(
        &self,
        starting_after: Option<&str>,
    ) -> Result<(Vec<Subscription>, bool), StripeError> {
        let mut list = ListSubscription::new()
            .status(ListSubscriptionStatus::All)
            .limit(100);
        if let Some(after) = starting_after {
            list = list.starting_after(after);
        }
        let page = list.send(&self.client).await?;
        Ok((page.data, page.has_more))
    }
}

/// A failed Stripe call as a job outcome: worth retrying unless Stripe said the request
/// itself is wrong, or we could not read its answer (kept for a staff retry once fixed).
pub fn job_error(e: StripeError) -> JobError {
    match &e {
        StripeError::Stripe(_, status) if *status != 429 && (400..500).contains(status) => {
            JobError::permanent(e)
        }
        StripeError::JSONDeserialize(_) | StripeError::ConfigError(_) => JobError::permanent(e),
        _ => JobError::temporary(e),
    }
}
