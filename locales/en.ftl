# Widget
widget-count = { $count_text } of { $goal_text } { $metric ->
    [amount] raised
    [supporters] { $goal ->
        [one] supporter
       *[other] supporters
    }
   *[members] { $goal ->
        [one] member
       *[other] members
    }
}
widget-reached = Goal reached — thank you!
widget-stretch = { $reached } reached — next: { $next }
widget-ended = Campaign ended
widget-days-left = { $n ->
    [one] { $n } day left
   *[other] { $n } days left
}
widget-hours-left = { $n ->
    [one] { $n } hour left
   *[other] { $n } hours left
}
widget-join = { $metric ->
    [members] Become a member
   *[other] Support us
}

# Emails
email-greeting = Hello,
email-signoff = — The membership team
email-unsubscribe = Unsubscribe
email-manage = Manage your newsletters
email-edition-why = You receive this because you subscribed to { $newsletter }.
email-confirm-subject = Please confirm your subscription
email-confirm-intro = Someone, hopefully you, asked to receive these newsletters at this address:
email-confirm-action = Confirm my subscription
email-confirm-expiry = The link works once and expires in 48 hours. If you did not ask for this, ignore this email and nothing will happen.
email-already-subject = You are already subscribed
email-already-intro = Someone asked to subscribe this address, but it already receives:
email-already-action = To change what you receive, open your preferences:
email-confirmed-subject = Welcome — your subscription is confirmed
email-confirmed-intro = Thank you! From now on you will receive:
email-confirmed-action = You can change what you receive at any time:

# Newsletter pages
nl-title = Newsletters
nl-intro = Free newsletters from our newsroom. We send a confirmation email first; nothing arrives until you confirm.
nl-email = Email address
nl-subscribe = Subscribe
nl-honeypot = Leave this field empty
nl-subscribed-title = Successfully subscribed
nl-subscribed-body = We've sent you a confirmation email. Please open it and confirm to start receiving our newsletters.
nl-confirm-title = Confirm your subscription
nl-confirm-body = Please confirm that you want to receive:
nl-confirm-button = Confirm subscription
nl-confirmed-title = You're subscribed
nl-confirmed-body = Thank you! Your subscription is confirmed. You will receive:
nl-unsubscribe-title = Unsubscribe
nl-unsubscribe-body = Stop receiving these newsletters?
nl-unsubscribe-button = Unsubscribe
nl-unsubscribed-title = You're unsubscribed
nl-unsubscribed-body = You will no longer receive:
nl-manage-title = Your newsletters
nl-manage-body = Choose what you receive at { $email }:
nl-manage-save = Save my choices
nl-manage-saved = Your choices are saved.
nl-link-invalid = This link is not valid. Please use the most recent email we sent you.
nl-link-expired = This link has expired. Subscribe again and we'll send you a new one.
nl-link-used = This link was already used. If you confirmed your subscription, there is nothing more to do.

# Membership emails
email-account = Your account
email-welcome-subject = Welcome, and thank you for joining
email-welcome-body = You are now a member of { $campaign }. Your support keeps independent journalism going.
email-welcome-tier-body = You are now a member of { $campaign }, at the { $tier } tier. Your support keeps independent journalism going.
email-receipt-subject = Your receipt: { $amount }
email-receipt-body = We received { $amount } on { $date } for: { $what }. Thank you!
email-receipt-month = monthly membership
email-receipt-year = yearly membership
email-receipt-once = one-time donation
email-failed-subject = Your payment did not go through
email-failed-body = We could not collect { $amount } for your membership. Please update your card so that your membership continues.
email-failed-action = Update your card
email-failed-reminder-subject = Reminder: your membership payment is still due
email-failed-reminder-body = We still could not collect { $amount } for your membership. Please update your card in your account so that your membership continues.
email-failed-last-subject = Last notice: your membership is about to end
email-failed-last-body = We have tried several times to collect { $amount } for your membership. Unless the card is updated in the next few days, your membership will end. It takes a minute in your account.
email-cancel-subject = Your membership is cancelled
email-cancel-body = Your membership has been cancelled. You remain a member until { $until }. You can rejoin at any time.
email-cancel-body-now = Your membership has ended. Thank you for your support — you can rejoin at any time.
email-reminder-subject = Your yearly membership renews on { $date }
email-reminder-body = Your membership renews on { $date } for { $amount }, charged to the card on file. Nothing to do if you want to stay. To cancel, open your account before { $date }, choose “Manage or cancel this membership” and cancel on the billing page that opens: you will not be charged again, and you stay a member until then.

# Staff dashboard
admin-product = memberdrive
admin-skip = Skip to content
admin-nav-label = Dashboard sections
admin-nav-overview = Overview
admin-nav-members = Members
admin-nav-campaigns = Campaigns
admin-nav-newsletters = Newsletters
admin-nav-outbox = Outbox
admin-nav-audit = Audit log
admin-sign-out = Sign out
admin-role-admin = admin
admin-role-viewer = viewer
admin-login-title = Staff sign-in
admin-login-email = Email address
admin-login-password = Password
admin-login-submit = Sign in
admin-login-failed = The email address or password is not correct.
admin-login-throttled = Too many failed sign-in attempts. Please wait { $minutes ->
    [one] a minute
   *[other] { $minutes } minutes
} and try again.
admin-login-throttled-seconds = Too many failed sign-in attempts. Please wait { $seconds ->
    [one] a second
   *[other] { $seconds } seconds
} and try again.
admin-login-busy = Too many sign-ins are being checked right now. Please try again in a few seconds.
admin-login-disabled = This account is disabled. Ask an admin to enable it.
admin-password-title = Choose a new password
admin-password-intro = Choose a new password for { $email }: at least 12 characters.
admin-password-new = New password
admin-password-repeat = Repeat the new password
admin-password-submit = Save the new password
admin-password-mismatch = The two passwords are not the same.
admin-password-too-short = The password is too short: use at least 12 characters.
admin-password-too-long = The password is too long: use at most 1,024 characters.
admin-password-invalid = This link is not valid. Ask an admin to send you a new one.
admin-password-expired = This link has expired or was already used. Ask an admin to send you a new one.
admin-password-done-title = Your password is changed
admin-password-done = Sign in with your new password. Every session your account had is signed out.
admin-password-sign-in = Sign in
staff-reset-subject = Choose a new password for the dashboard
staff-reset-email = An admin asked for a new password for your staff account { $email }. The link works once, within an hour. If you did not expect this email, ignore it: your password stays as it is.
staff-reset-button = Choose a new password
admin-overview-title = Dashboard
admin-overview-signed-in = You are signed in as
admin-overview-soon-title = Coming soon
admin-overview-soon-body = Membership figures, campaigns and the outbox will appear here.
admin-audit-title = Audit log
admin-audit-empty = Nothing has been recorded yet.
admin-audit-when = When
admin-audit-actor = Who
admin-audit-action = Action
admin-audit-subject = Subject
admin-audit-details = Details
admin-audit-pages = Audit log pages
admin-audit-page = Page
admin-audit-newer = ← Newer
admin-audit-older = Older →
admin-campaign = Campaign
admin-period = Period
admin-last-days = Last { $days } days
admin-show = Show
admin-progress = Progress
admin-of = of
admin-live = Updates by itself as members join.
admin-gained-today = Joined today
admin-gained-week = Joined this week
admin-projected = Goal reached at this pace
admin-projection-reached = Reached
admin-projection-none = Not at the current pace
admin-pace = Pace: { $amount } a week (last 28 days)
admin-deadline-title = Deadline
admin-deadline = { $date } ({ $days ->
    [one] 1 day left
   *[other] { $days } days left
})
admin-deadline-none = No deadline
admin-chart-signups = Daily sign-ups (up) and cancellations (down)
admin-chart-members = Members against the goal, with the projection
admin-chart-mrr = Monthly recurring revenue
admin-chart-churn = Monthly churn rate
admin-chart-tiers = Tier mix of current members
admin-chart-numbers = The numbers
admin-download-csv = Download CSV
admin-col-day = Day
admin-col-month = Month
admin-col-signups = Sign-ups
admin-col-cancellations = Cancellations
admin-col-members = Members
admin-col-mrr = MRR
admin-col-active-at-start = Active at start
admin-col-ended = Ended
admin-col-churn = Churn %
admin-chart-variants = The appeal's two variants (A/B)
admin-col-variant = Variant
admin-chart-reasons = Why members cancel
admin-col-reason = Reason
admin-col-cancelled = Cancelled
admin-col-kept = Took the offer and stayed
admin-no-reason = No reason given
admin-col-tier = Tier
admin-col-memberships = Memberships
admin-no-tier = No tier
admin-articles-title = Articles that bring members
admin-articles-empty = No article has shown the widget or brought a member in this period.
admin-col-article = Article
admin-col-views = Widget views
admin-col-clicks = Join clicks
admin-col-members-gained = Members gained
admin-col-conversion = Conversion
admin-back-overview = Back to the overview
admin-campaigns-title = Campaigns
admin-campaign-new = New campaign
admin-campaign-edit = Edit the campaign
admin-campaign-settings = Settings
admin-links = Links
admin-archived = archived
admin-widget-json = Widget data (JSON)
admin-metric-members = Members
admin-metric-supporters = Supporters (members and donors)
admin-metric-amount = Money raised
admin-field-slug = URL name (a–z, 0–9, -)
admin-field-title = Title
admin-field-description = Appeal text
admin-field-metric = What counts
admin-field-goal = Goal (people, or an amount for “money raised”)
admin-field-currency = Currency (ISO code, e.g. eur)
admin-field-starts = Starts on
admin-field-ends = Ends on (deadline)
admin-field-time-zone = Time zone of these days
admin-field-time-zone-hint = A campaign starts when its first day begins and ends when its last day ends, in this zone (for example Europe/Kyiv).
admin-field-milestones = Milestones (comma-separated, ascending)
admin-goals-reached = Goals reached
admin-goals-next = Now going for { $goal }, the next stretch goal.
admin-field-stretch-goals = Stretch goals: where the campaign goes on once the goal is reached (comma-separated, ascending)
admin-field-min-amount = Smallest amount a reader may give
admin-field-max-amount = Largest amount a reader may give
admin-field-presets = One-time amounts offered (comma-separated)
admin-field-donor-days = Days a one-time donor counts as a member (0: not counted)
admin-field-archived = Archived (hidden from readers and the widget)
admin-field-title-b = Second title, for an A/B test (optional): the widget shows it instead of the title to half the readers, and the overview compares the two
admin-ledger-title = Outside contributions
admin-ledger-help = Members or money that came outside Stripe — bank transfers, an event, another platform — counted from their date on. A correction may be negative; every entry and removal is kept in the audit log.
admin-ledger-total = In the ledger:
admin-ledger-date = Date
admin-ledger-amount = Members (or amount, for “money raised”)
admin-ledger-source = Source
admin-ledger-note = Note
admin-ledger-entered-by = Entered by
admin-ledger-add = Add to the ledger
admin-ledger-remove = Remove
admin-error-ledger-date = Enter the day it happened (YYYY-MM-DD), today at the latest.
admin-error-ledger-amount = Enter a whole number of members (or an amount for “money raised”), other than 0; it may be negative.
admin-error-ledger-source = Say where it came from, in at most 200 characters.
admin-error-ledger-note = Keep the note under 500 characters.
admin-saved-ledger = The ledger is saved and recorded in the audit log.
admin-save = Save
admin-form-errors = Please correct the fields marked below; nothing was saved.
admin-saved-campaign = The campaign is saved; the widget shows it now.
admin-saved-tier = The tier is saved.
admin-tiers-title = Tiers
admin-tier-name = Name
admin-tier-monthly = Monthly amount
admin-tier-yearly = Yearly amount
admin-tier-position = Order
admin-tier-save = Save the tier
admin-tier-add = Add a tier
admin-error-title = Enter a title of at most 200 characters.
admin-error-description = The appeal text may have at most 5,000 characters.
admin-error-title-length = A title may have at most 200 characters.
admin-campaign-texts-en = For readers in English
admin-campaign-texts-uk = For readers in Ukrainian
admin-campaign-in-language-help = Shown to readers who chose this language (the widget's ?lang=, the join page). Left empty, they see the title and appeal above.
admin-error-metric = Choose what counts.
admin-error-goal = Enter a goal above zero: a whole number of people, or an amount like 20000 or 20000.50.
admin-error-currency = Enter a three-letter currency code such as eur.
admin-error-date = Enter a date as YYYY-MM-DD.
admin-error-ends-before = The end must come after the start.
admin-error-time-zone = Choose a time zone from the list, such as Europe/Kyiv or UTC.
admin-error-milestones = Enter ascending numbers above zero and not above the goal, at most 12.
admin-error-stretch-goals = Enter ascending numbers above the goal, at most 12.
admin-error-days = Enter a number of days from 0 to 3650.
admin-error-min-amount = Enter an amount of at least 1.00.
admin-error-max-amount = Enter an amount at least as large as the smallest.
admin-error-presets = Enter at most 12 amounts between the smallest and the largest.
admin-error-slug = Use 1 to 40 lower-case letters, digits and dashes, not already taken.
admin-error-slug-taken = A campaign with this URL name already exists.
admin-error-tier-name = Give the tier a name of at most 100 characters.
admin-error-tier-amount = Enter an amount within the campaign's smallest and largest.
admin-error-tier-amounts = Give the tier a monthly or a yearly amount.
admin-error-tier-position = The order must be a whole number.
admin-embed-title = Embed codes
admin-embed-lead = Paste one of these into an article. They work on any site and update live.
admin-embed-script = Script (recommended)
admin-embed-script-help = Live, accessible, isolated from the article's styles; shows the image until it loads.
admin-embed-iframe = Iframe
admin-embed-iframe-help = For sites that load no third-party scripts. The short inline script after the iframe tells us which article it is on, so its views and join clicks count for it, and sizes the iframe to its content; where a site strips scripts, the iframe keeps its fixed height and counts for no article.
admin-embed-image = Image
admin-embed-image-help = For newsletters and pages without scripts; refreshed when the page loads.
admin-embed-copy = Snippet to copy
admin-embed-preview = Preview
admin-refused-title = Not allowed
admin-refused-sign-in = Please sign in
admin-refused-link = Go to the sign-in page
admin-refused-anonymous = Please sign in to the dashboard first.
admin-refused-internal = Something went wrong on our side. Please try again in a moment.
admin-refused-too-large = The form is too large.
admin-refused-cross-site = This form was sent from another site.
admin-refused-csrf = This form has expired. Go back, reload the page and try again.
admin-refused-viewer = Your account can view the dashboard but not change anything. Ask an admin.

# Join page
join-title = Join us
join-lead = Independent journalism is paid for by its readers. Become a member, or give once.
join-membership = Become a member
join-monthly = Monthly
join-yearly = Yearly
join-per-month = { $amount } a month
join-per-year = { $amount } a year
join-once = Give once
join-custom = Another amount ({ $currency })
join-email = Your email address
join-continue = Continue to payment
join-secure = Payment is handled securely by Stripe; we never see your card.
join-not-configured = Paid membership is not configured yet. You can still subscribe to our free newsletters.
join-newsletters = Free newsletters

# Account
acct-title = Your membership
acct-sign-in-lead = Enter the address you joined with. We'll email you a link to sign in — no password needed.
acct-send-link = Email me a sign-in link
acct-link-sent-title = Check your email
acct-link-sent-body = If this address belongs to a member, we've sent a sign-in link to it. The link works once, for 15 minutes.
acct-link-title = Sign in
acct-link-body = Sign in to your membership account.
acct-link-button = Sign me in
acct-link-subject = Your sign-in link
acct-link-email = Use this link within 15 minutes to sign in to your membership account. If you did not ask for it, ignore this email.
acct-joined = Thank you for joining! Your membership appears here as soon as your payment is confirmed.
acct-joined-here = Thank you for joining! Here is your membership.
acct-memberships = Memberships
acct-none = No membership yet.
acct-status-active = Active
acct-status-trialing = Trial
acct-status-past_due = Payment overdue — please update your card
acct-status-canceled = Ended
acct-status-incomplete = Awaiting payment
acct-status-unpaid = Unpaid
acct-status-paused = Paused
acct-status-pending = Awaiting payment
acct-next-payment = Next payment: { $amount } on { $date }
acct-ends = Cancelled — member until { $date }
acct-paused-until = Payments paused until { $date }; they resume by themselves then. You are not counted as a member meanwhile.
acct-paused = Your payments are paused. They resume by themselves on the date shown below.
acct-pause-for = Pause payments for
acct-pause = Pause payments
acct-pause-months = { $months ->
    [one] 1 month
   *[other] { $months } months
}
acct-pause-error-months = Choose how many months to pause for.
acct-pause-error-membership = There is no such membership.
acct-pause-error-state = This membership cannot be paused now: only an active monthly membership that is not ending or paused already can be.
acct-billing = Manage payment, tier or cancellation
acct-manage-membership = Manage this membership
acct-cancel = Cancel this membership
acct-cancel-title = Cancel your membership
acct-cancel-why = May we ask why? (optional)
acct-cancel-note = Anything you'd like to tell us (optional)
acct-cancel-offer-title = Before you go
acct-cancel-offer = We'd rather keep you: stay with { $offer }.
acct-cancel-offer-percent = { $percent } % off
acct-cancel-offer-amount = { $amount } off
acct-cancel-offer-once = { $discount } your next payment
acct-cancel-offer-months = { $discount } each payment for { $months ->
    [one] { $months } month
   *[other] { $months } months
}
acct-cancel-offer-forever = { $discount } every payment, for as long as you stay
acct-cancel-take-offer = Stay with this offer
acct-cancel-when = Your membership stays until the end of the period you have paid for, then ends; nothing more is charged.
acct-cancel-confirm = Cancel my membership
acct-cancel-keep = Keep my membership
acct-cancel-error-membership = There is no such membership, or it is ending already.
acct-cancel-error-reason = Choose a reason from the list, or none.
acct-cancel-error-note = Please keep the note under 2,000 characters.
acct-cancel-error-choice = Choose whether to cancel or to take the offer.
acct-cancel-error-offer = This offer is not available for this membership.
acct-back-to-article = Back to the article
remind-title = Remind me later
remind-lead = Not ready to support “{ $campaign }” today? Leave your address and we'll send you one reminder in a week.
remind-button = Remind me in a week
remind-promise = One email, once: we won't add you to any list or write to you about anything else.
remind-error-email = Please enter a valid email address, like name@example.org.
remind-sent-title = Check your email
remind-sent-body = We've sent you a confirmation email. Confirm, and we'll remind you once, in a week.
remind-confirm-title = Confirm your reminder
remind-confirm-body = We'll send you one reminder in a week, and nothing else.
remind-confirm-button = Yes, remind me
remind-confirmed-title = We'll remind you
remind-confirmed-body = We'll send you one reminder on { $date }. That's all.
email-remind-confirm-subject = Confirm your reminder about “{ $campaign }”
email-remind-confirm-body = You asked us to remind you about “{ $campaign }” in a week. Confirm with the button below; if it wasn't you, ignore this email and you'll hear nothing more.
email-remind-confirm-action = Confirm the reminder
email-remind-later-subject = Your reminder: “{ $campaign }”
email-remind-later-body = A week ago you asked us to remind you about “{ $campaign }”. If you'd like to support independent journalism, now's your chance. This is the only reminder we send.
email-remind-later-action = Become a member
acct-statements = Statements
acct-statement-download = Payments of { $year } (CSV)
acct-statement-yearly = Email me a statement of last year's payments each January
acct-statement-save = Save
acct-statements-saved = Your statement setting is saved.
acct-statement-error-year = There is no statement for that year.
acct-statement-date = Date
acct-statement-campaign = Campaign
acct-statement-kind = Kind
acct-statement-amount = Amount
acct-statement-currency = Currency
acct-statement-total = Total
acct-statement-subscription = Membership
acct-statement-donation = Donation
email-statement-subject = Your payments in { $year }
email-statement-body =
    Thank you for supporting us in { $year }. Your payments:

    { $payments }

    Total: { $total }. Your account page has the same as a download.
email-statement-action = Open your account
acct-kept = Thank you for staying! The offer applies to your next payments.
acct-cancelling = Your membership is cancelled: it stays until the end of the period you have paid for, and nothing more is charged.
cancel-reason-price = It costs too much
cancel-reason-not_reading = I don't read enough to pay for it
cancel-reason-coverage = I disagree with the coverage
cancel-reason-finances = My finances have changed
cancel-reason-elsewhere = I support another outlet instead
cancel-reason-other = Something else
acct-newsletters = Newsletters
acct-newsletters-none = You are not subscribed to any newsletter.
acct-manage-newsletters = Manage newsletters
acct-sign-out = Sign out
acct-signed-out = You are signed out.

# Dashboard: members, outbox, newsletters
admin-back = ← Back
admin-not-found = Not found
admin-pages = Pages
admin-previous = ← Previous
admin-next = Next →
admin-form-has-errors = Please correct the fields marked below. Nothing was saved.
admin-members-title = Members
admin-members-search = Email or name
admin-members-status = Status
admin-members-campaign = Campaign
admin-members-tier = Tier
admin-members-any = Any
admin-members-from = Joined on or after
admin-members-to = Joined on or before
admin-members-joined-hint = Joined means: a membership started (one that matches the other filters); for people without a membership, the day they were added.
admin-members-apply = Search
admin-members-clear = Clear the filters
admin-members-count = { $count ->
    [one] { $count_text } member
   *[other] { $count_text } members
}
admin-members-csv = Download these members as CSV
admin-members-email = Email
admin-members-name = Name
admin-members-joined = Joined
admin-members-bad-status = Choose a status from the list.
admin-members-bad-tier = Choose a tier from the list.
admin-members-bad-campaign = Choose a campaign from the list.
admin-members-bad-date = Write dates as YYYY-MM-DD, for example 2025-03-01.
admin-members-bad-period = The period ends before it starts.
admin-status-none = No membership
admin-status-active = Active
admin-status-trialing = Trial
admin-status-past_due = Payment overdue
admin-status-canceled = Cancelled
admin-status-unpaid = Unpaid
admin-status-incomplete = Incomplete
admin-status-incomplete_expired = Incomplete, expired
admin-status-paused = Paused
admin-status-pending = Pending
admin-member-back = ← All members
admin-member-unknown = There is no member with this number.
admin-member-added = Added
admin-member-language = Language
admin-member-stripe = Stripe
admin-member-stripe-link = Open the customer in Stripe
admin-member-no-stripe = Not a Stripe customer
admin-member-timeline = Timeline
admin-member-no-events = Nothing has happened yet.
admin-member-when = When
admin-member-event = Event
admin-member-details = Details
admin-member-per-month = { $amount } a month
admin-member-per-year = { $amount } a year
admin-event-membership-started = Membership started
admin-event-membership-cancels = Membership ends (cancelled at the end of the period)
admin-event-membership-ended = Membership ended
admin-event-payment = Payment
admin-event-donation = Donation
admin-event-refunded = { $amount } refunded
admin-event-disputed = disputed ({ $status })
admin-event-email = Email
admin-event-newsletter-requested = Newsletter subscription requested
admin-event-newsletter-confirmed = Newsletter subscription confirmed
admin-event-newsletter-left = Unsubscribed from a newsletter
admin-payment-succeeded = Paid
admin-payment-failed = Failed
admin-newsletter-pending = Awaiting confirmation
admin-newsletter-confirmed = Confirmed
admin-newsletter-unsubscribed = Unsubscribed
admin-outbox-title = Email outbox
admin-suppressions-title = Suppressed addresses
admin-suppressions-intro = Addresses that bounced for good get no email from us; addresses whose owner marked our mail as spam get no more newsletters. Lift an entry once the reader asks to hear from us again.
admin-suppressions-empty = No address is suppressed.
admin-suppressions-reason = Reason
admin-suppressions-source = Reported by
admin-suppressions-since = Since
admin-suppressions-bounce = Hard bounce
admin-suppressions-complaint = Spam complaint
admin-suppressions-lift = Lift
admin-suppressions-lifted = { $email } may receive mail again.
admin-suppressions-unknown = That address is not on the list.
admin-outbox-queued = Queued
admin-outbox-retrying = Retrying
admin-outbox-sent = Sent
admin-outbox-dead = Dead-lettered
admin-outbox-unsent = Not sent yet
admin-outbox-empty = Every email has been sent.
admin-outbox-recipient = Recipient
admin-outbox-subject = Subject
admin-outbox-state = State
admin-outbox-attempts = Attempts
admin-outbox-next-try = Next try
admin-outbox-last-error = Last error
admin-outbox-actions = Actions
admin-outbox-retry = Retry
admin-outbox-retried = Email { $id } is queued again and will be sent shortly.
admin-outbox-not-dead-title = Nothing to retry
admin-outbox-not-dead = Email { $id } is not dead-lettered (state: { $state }), so it cannot be retried. Nothing was changed.
admin-outbox-unknown = There is no email with this number in the outbox.
admin-newsletters-title = Newsletters
admin-newsletters-new = New newsletter
admin-newsletters-back = ← All newsletters
admin-newsletters-empty = There are no newsletters yet.
admin-newsletters-name = Name
admin-newsletters-slug = Short name (in addresses)
admin-newsletters-language = Language
admin-newsletters-language-en = English
admin-newsletters-language-uk = Ukrainian
admin-newsletters-description = Description
admin-newsletters-position = Position
admin-newsletters-position-hint = Newsletters are listed from the lowest position up.
admin-newsletters-confirmed = Subscribers
admin-newsletters-pending = Awaiting confirmation
admin-newsletters-gained = Gained, last 30 days
admin-newsletters-left = Unsubscribed, last 30 days
admin-newsletters-archived = Archived
admin-newsletters-slug-hint = Lower-case letters, digits and hyphens, up to 40. It cannot be changed later.
admin-newsletters-slug-fixed = The short name cannot be changed: subscribe forms on the site use it.
admin-newsletters-create = Create the newsletter
admin-newsletters-save = Save
admin-newsletters-archive = Archive
admin-newsletters-archive-hint = Archiving takes the newsletter off the public page and the subscribe forms. Its subscribers are kept.
admin-newsletters-restore = Bring back
admin-newsletters-restore-hint = This newsletter is archived: readers cannot see it or subscribe to it.
admin-newsletters-bad-slug = Use 1 to 40 lower-case letters, digits and hyphens (not “new”).
admin-newsletters-slug-taken = Another newsletter already has this short name.
admin-newsletters-bad-name = Give a name of at most 100 characters.
admin-newsletters-bad-description = Keep the description to 500 characters.
admin-newsletters-bad-language = Choose English or Ukrainian.
admin-newsletters-bad-position = The position is a whole number, such as 1 or 10.
admin-newsletters-unknown = There is no newsletter with this short name.
admin-newsletters-created = Newsletter “{ $slug }” created.
admin-newsletters-saved = Newsletter “{ $slug }” saved.
admin-newsletters-unchanged = Nothing to save: newsletter “{ $slug }” is unchanged.
admin-newsletters-archived-notice = Newsletter “{ $slug }” archived.
admin-newsletters-restored = Newsletter “{ $slug }” is public again.

error-not-found = Not found
error-ours = Something went wrong
error-refused = That didn't work
error-home = Back to the start page
error-no-such-page = There is no page at this address. It may have moved, or the link may be mistyped.
home-more = More
home-account = Your membership

# Gift memberships
gift-title = Give a membership
gift-lead = Give someone months of membership: they start it when they like, with no card needed. Your gift counts toward “{ $campaign }”.
gift-no-tiers = No membership can be given yet.
gift-choose = Membership
gift-length = How long
gift-months = { $months ->
    [one] { $months } month
   *[other] { $months } months
}
gift-recipient = Their email address
gift-message = Your message (optional)
gift-deliver-on = Deliver on
gift-your-email = Your email address (for the receipt)
gift-join-instead = Become a member yourself
gift-product = Gift: { $tier }, { $months ->
    [one] { $months } month
   *[other] { $months } months
} — { $campaign }
gift-error-tier = Choose a membership to give.
gift-error-months = Choose 1, 3, 6 or 12 months.
gift-error-recipient = Enter the recipient's email address, like name@example.org.
gift-error-buyer = Enter your email address, like name@example.org.
gift-error-message = The message may have at most 500 characters.
gift-error-date = Choose a delivery date from today to a year from now.
gift-error-campaign = There is no such campaign.
gift-thanks-title = Thank you for your gift
gift-thanks-body = We have emailed you a receipt. Your gift goes out on the day you chose, and we will tell you when it is redeemed.
gift-redeem-title = Your gift membership
gift-redeem-unknown = This gift link is not valid. If you copied it, check that nothing is missing.
gift-redeem-used = This gift has been redeemed already.
gift-redeem-expired = This gift was not redeemed within a year and has expired.
gift-redeem-refunded = This gift was refunded to the person who bought it, so it can no longer be redeemed.
gift-redeem-member = You are a paying member already, so this gift cannot be added to your membership. Please pass it on to someone else, or ask us for help.
gift-redeemed-title = Welcome!
gift-redeemed-body = Your membership has started and runs until { $until }. Thank you for reading.
gift-stage-scheduled = Scheduled
gift-stage-delivered = Delivered
gift-stage-redeemed = Redeemed
gift-stage-expired = Expired
gift-stage-refunded = Refunded
email-gift-receipt-subject = Your gift of { $amount } is paid
email-gift-receipt-body = Thank you! We will email { $recipient } their gift on { $date }, with a link to start it, and tell you when they do.
email-gift-another = Give another membership
email-gift-subject = { $from } gave you a membership
email-gift-body = { $from } gave you { $months ->
    [one] { $months } month
   *[other] { $months } months
} of { $tier } membership of { $campaign }. Start it whenever you like: no card needed.
email-gift-message = Their message: “{ $message }”
email-gift-redeem = Start my membership
email-gift-redeemed-subject = { $recipient } started your gift
email-gift-redeemed-body = { $recipient } redeemed the membership you gave them. Thank you for supporting independent journalism.
email-gift-ending-subject = Your gift membership ends soon
email-gift-ending-body = The membership you were given ends on { $until }. To stay a member, go on with a card; if you do nothing, it simply ends.
email-gift-continue = Stay a member
admin-nav-gifts = Gifts
admin-gifts-title = Gift memberships
admin-gifts-empty = No gift has been bought yet.
admin-gifts-stage = Stage
admin-gifts-gift = Gift
admin-gifts-buyer = Buyer
admin-gifts-recipient = Recipient
admin-gifts-dates = Paid → delivery → end
admin-gifts-resend = Send again
admin-gifts-resent = Gift { $id } was sent again with a new link.
admin-gifts-refunded = { $amount } refunded
admin-gifts-not-resendable-title = Not sent
admin-gifts-not-resendable = This gift was redeemed, refunded or has expired, or it does not exist.
admin-nav-payments = Failed payments
admin-payments-title = Failed payments
admin-payments-intro = Card testers try card after card from one place. A client whose payments fail { $failures } times within { $minutes } minutes cannot start a new payment until { $minutes } minutes after the first of those failures. A client is shown by a key made from its network address, never the address.
admin-payments-summary = In the last 24 hours: { $failures ->
    [one] one failed payment
   *[other] { $failures } failed payments
    } from { $clients ->
    [one] one client
   *[other] { $clients } clients
    }; { $blocked } blocked now.
admin-payments-client = Client
admin-payments-failures = Failures
admin-payments-last = Last failure
admin-payments-detail = Campaign · amount · decline
admin-payments-status = Status
admin-payments-blocked = Blocked
admin-payments-not-blocked = Not blocked
admin-payments-clear = Clear failures
admin-payments-cleared = The failures of client { $client } were cleared: it may pay again.
admin-payments-unknown = This client has no failed payments to clear.
admin-editions-link = Editions
admin-editions-title = Editions
admin-editions-audience = { $readers ->
    [one] One confirmed subscriber today.
   *[other] { $readers } confirmed subscribers today.
    }
admin-editions-empty = No edition has been sent yet.
admin-editions-subject = Subject
admin-editions-status = Status
admin-editions-when = Sending from
admin-editions-reach = Progress
admin-editions-progress = { $queued } of { $readers } queued, { $sent } sent{ $failed ->
        [0] {""}
       *[other] , { $failed_text } failed
    }{ $suppressed ->
        [0] {""}
       *[other] , { $suppressed_text } suppressed
    }
admin-editions-status-scheduled = Scheduled
admin-editions-status-sending = Sending
admin-editions-status-sent = Sent
admin-editions-status-cancelled = Cancelled
admin-editions-new = Write an edition
admin-editions-body = Text (Markdown)
admin-editions-body-hint = Headings with #, **bold**, _italic_, [links](https://…), lists and tables. HTML is shown as text. Each reader's email ends with their own unsubscribe link.
admin-editions-send-at = Send at
admin-editions-send-at-hint = { $zone } time. Leave empty to send now. Those confirmed when sending starts receive it.
admin-editions-preview = Preview
admin-editions-test = Send a test
admin-editions-send = Send
admin-editions-preview-heading = Preview
admin-editions-test-subject = [Test] { $subject }
admin-editions-tested = A test was sent to { $email }.
admin-editions-scheduled = Edition { $id } is on its way: the progress below follows it.
admin-editions-error-subject = The subject must be 1 to 200 characters on one line.
admin-editions-error-body = Write the edition's text (at most 512 KiB).
admin-editions-error-past = That time has passed: leave it empty to send now.
admin-editions-error-time = Give the time as a date and a time, or leave it empty to send now.

## Outbound webhooks (/admin/webhooks)
admin-nav-webhooks = Webhooks
admin-webhooks-title = Webhooks
admin-webhooks-intro = Your other tools (a CRM, an email service, analytics, a chat channel) can receive events as they happen. Each delivery is signed as the Standard Webhooks specification says, retried with growing pauses for about three and a half hours while the endpoint does not answer with a 2xx status, and then kept here as failed until you retry it.
admin-webhooks-none = No endpoint receives events yet.
admin-webhooks-add = Add endpoint
admin-webhooks-endpoint = Endpoint
admin-webhooks-url = Endpoint URL
admin-webhooks-url-hint = An http or https address that accepts POST requests with a JSON body. Redirects are not followed.
admin-webhooks-description = Description (optional)
admin-webhooks-events = Events it receives
admin-webhooks-enabled = Enabled: send it new events
admin-webhooks-enabled-short = Enabled
admin-webhooks-disabled = Disabled
admin-webhooks-state = State
admin-webhooks-failed-count = { $count ->
        [one] 1 failed delivery
       *[other] { $count } failed deliveries
    }
admin-webhooks-bad-url = Enter the endpoint's full address, starting with https:// or http://.
admin-webhooks-long-description = The description may be at most { $max } characters long.
admin-webhooks-no-events = Choose at least one of the events listed.
admin-webhooks-back = ← All webhooks
admin-webhooks-save = Save
admin-webhooks-created = The endpoint was added. Copy its signing secret into the receiving tool.
admin-webhooks-saved = Saved.
admin-webhooks-rotated = A new secret signs from now on. For 24 hours deliveries are signed with the old secret too, so the receiving tool can switch without missing one.
admin-webhooks-retried = The delivery is queued again.
admin-webhooks-unknown = There is no such endpoint.
admin-webhooks-not-dead = Only a delivery that failed for good can be retried, and this one has not.
admin-webhooks-secret = Signing secret
admin-webhooks-secret-hint = The receiving tool checks each delivery's webhook-signature header with this secret (any Standard Webhooks library does it). Keep it secret.
admin-webhooks-secret-admins = Only admins see the secret.
admin-webhooks-previous-until = The previous secret also signs until
admin-webhooks-rotate = Rotate secret
admin-webhooks-remove-hint = Removing the endpoint withdraws its deliveries not sent yet.
admin-webhooks-remove = Remove endpoint
admin-webhooks-log = Recent deliveries
admin-webhooks-log-empty = No event has been sent to this endpoint yet.
admin-webhooks-when = Event time
admin-webhooks-event = Event
admin-webhooks-answer = Answer
admin-webhooks-delivered = Delivered
admin-webhooks-queued = Queued
admin-webhooks-retrying = Retrying
admin-webhooks-dead = Failed

## Staff accounts in the dashboard (/admin/staff) and "forgot password"
staff-invite-subject = You are invited to the members dashboard
staff-invite-email = An admin created a staff account for { $email } on the members dashboard. Choose a password to sign in: the link works once, within 7 days.
staff-invite-button = Choose your password
staff-forgot-subject = Choose a new password for the dashboard
staff-forgot-email = Someone asked on the sign-in page for a new password for the staff account { $email }. The link works once, within an hour. If it was not you, ignore this email: your password stays as it is.
admin-nav-staff = Staff
admin-staff-title = Staff accounts
admin-staff-intro = Admins change things; viewers see everything and change nothing. A disabled account is signed out everywhere and cannot sign in. Every change here is in the audit log.
admin-staff-email = Email
admin-staff-role = Role
admin-staff-state = State
admin-staff-last = Last sign-in
admin-staff-never = never
admin-staff-active = Active
admin-staff-invited = Invited
admin-staff-disabled = Disabled
admin-staff-save-role = Save role
admin-staff-reset = Send reset link
admin-staff-disable = Disable
admin-staff-enable = Enable
admin-staff-remove = Remove
admin-staff-invite = Invite
admin-staff-invite-hint = They get an email with a link to choose their password; it works once, within 7 days.
admin-staff-bad-invite = Enter a valid email address and choose a role.
admin-staff-bad-action = That is not something this page can do.
admin-staff-exists = This address has a staff account already.
admin-staff-unknown = There is no such staff account.
admin-staff-already = Nothing to change: the account is so already (a disabled account gets no reset link: enable it first).
admin-staff-last-admin = This is the last enabled admin: make another account admin first, so that someone can still manage the dashboard.
admin-staff-yourself = You cannot disable or remove your own account. Ask another admin.
admin-staff-done-invited = Invited: they have been sent a link to choose their password.
admin-staff-done-set_role = The role is changed.
admin-staff-done-disable = Disabled: the account is signed out everywhere.
admin-staff-done-enable = Enabled: the account can sign in again.
admin-staff-done-reset = A link to choose a new password is on its way.
admin-staff-done-remove = The account is removed.
admin-login-forgot = Forgot your password?
admin-forgot-title = Forgot your password
admin-forgot-intro = Enter the address of your staff account. If it has one, we send it a link to choose a new password; it works once, within an hour.
admin-forgot-submit = Send the link
admin-forgot-sent = If { $email } has a staff account, a link to choose a new password is on its way. Check your inbox (and the spam folder).

## Newsletter subscribers (/admin/subscribers)
admin-subscribers-title = Subscribers
admin-subscribers-link = Subscribers
admin-subscribers-search = Address contains
admin-subscribers-newsletter = Newsletter
admin-subscribers-state = State
admin-subscribers-any = Any
admin-subscribers-filter = Filter
admin-subscribers-count = { $count ->
    [one] { $count_text } subscription
   *[other] { $count_text } subscriptions
}
admin-subscribers-csv = Download these as CSV
admin-subscribers-pending = Waiting for confirmation
admin-subscribers-confirmed = Confirmed
admin-subscribers-unsubscribed = Unsubscribed
admin-subscribers-asked = Subscribed
admin-subscribers-confirmed-at = Confirmed
admin-subscribers-left-at = Left
admin-subscribers-source = Consent given
admin-subscribers-double-opt-in = here, by confirming the email
admin-subscribers-back = ← All subscribers
admin-subscribers-language = Language
admin-subscribers-since = First subscribed
admin-subscribers-consent = Consent history
admin-subscribers-unsubscribe = Unsubscribe
admin-subscribers-unknown = There is no such subscriber.
admin-subscribers-left = Unsubscribed from { $newsletter }.
admin-subscribers-not-subscribed = They are not subscribed to this newsletter (any more).
admin-editions-status-paused = Paused
admin-editions-pause = Pause
admin-editions-resume = Resume
admin-editions-cancel = Cancel sending
admin-editions-done-pause = Paused: no more of its emails go out (those already on their way still arrive) until you resume it.
admin-editions-done-resume = Resumed: it goes on where it stopped; nobody gets it twice.
admin-editions-done-cancel = Cancelled: its emails not sent yet are withdrawn.
admin-editions-cannot = This edition is { $status }: that cannot be done to it now.
admin-person-title = This person's data
admin-person-export = Download everything held about this address (JSON)
admin-person-erase-hint = Erasing (GDPR article 17) deletes or anonymises their member and subscriber records, links, sessions and emails; payments stay, without personal data, so the figures still add up. A membership still billing them must be cancelled first. The customer at Stripe is left to Stripe: erase it there too.
admin-person-type-address = Type the address again to erase it
admin-person-erase = Erase this person
admin-person-confirm = Type the same address in both fields to erase it.
admin-person-erased = Erased: nothing personal about this address is kept any more. Erase the customer at Stripe too.
admin-person-nothing = Nothing is held about this address.
nl-archive-title = Past editions
nl-archive-empty = No edition has been sent yet.
nl-archive-subscribe = Get it by email:
admin-newsletters-public-archive = Publish its editions
admin-newsletters-public-archive-hint = Sent editions appear on a public page, without any reader's links.

## Branding (/admin/branding)
admin-nav-branding = Branding
admin-branding-title = Branding
admin-branding-intro = Your outlet's name, logo and colour on the join page, the thank-you page, the widget and every email. Leave a field empty for memberdrive's neutral look.
admin-branding-saved = Branding saved. Pages, the widget and new emails use it now.
admin-branding-outlet-name = Outlet name
admin-branding-site-url = Your site
admin-branding-site-url-hint = Every public page links back to it.
admin-branding-logo-url = Logo address
admin-branding-logo-url-hint = The address of an image on your site (https://…), shown about 32 pixels high.
admin-branding-accent = Accent colour
admin-branding-accent-hint = As #rrggbb, for buttons and the progress bar. Text on it turns dark when the colour is light.
admin-branding-sender-name = Email sender name
admin-branding-sender-name-hint = The name emails come from; the address stays the one the service is set up with. Empty: the outlet name.
admin-branding-footer = Email footer
admin-branding-footer-hint = Your postal address, as bulk-mail rules ask (at most 6 lines).
admin-branding-privacy-url = Privacy policy
admin-branding-terms-url = Terms
admin-branding-save = Save branding
admin-branding-preview = As saved
admin-branding-button = Become a member
admin-branding-bad-name = { $field } may be at most { $max } characters long, on one line.
admin-branding-bad-url = { $field }: enter a full address starting with https:// or http://.
admin-branding-bad-colour = Enter the accent colour as # and six hexadecimal digits, such as #c8102e.
admin-branding-long-footer = The email footer may be at most { $max } characters long, in { $lines } lines.
brand-privacy = Privacy policy
brand-terms = Terms
brand-back = Back to { $outlet }
brand-back-site = Back to the site

## Goal named in a title (campaign page)
admin-goal-in-title = The goal is now { $new }, but a title still says { $old }.
admin-goal-in-title-fix = Change the title

## Tier texts per language (campaign page)
admin-tier-description = Description
admin-tier-texts = Name and description in other languages
admin-error-tier-description = A tier description may be at most 300 characters long, a name at most 100.

## Editions (preheader, tests, progress)
admin-editions-preheader = Preheader
admin-editions-preheader-hint = The preview text most inboxes show after the subject, at most 150 characters. Leave it empty for none.
admin-editions-preview-inbox = In the inbox
admin-editions-error-preheader = The preheader may be at most 150 characters, on one line.
admin-editions-test-to = Send the test to
admin-editions-test-to-hint = Up to 5 addresses, separated by commas or line breaks. Leave it empty to send the test to yourself.
admin-editions-error-test-address = “{ $address }” is not an email address. Separate addresses with commas or line breaks.
admin-editions-error-test-many = A test goes to at most 5 addresses.
admin-editions-error-skipped = That time does not exist in { $zone }: the clocks skip it when they change. Choose another time.

## Limits against abuse (public forms)
limit-network = Too many attempts from your network. Please try again in a minute.
limit-address = Too many payments were started for this email address. Please try again in an hour.
limit-payments-blocked = Too many payments from your network have failed. Please try again in an hour, or write to us.
