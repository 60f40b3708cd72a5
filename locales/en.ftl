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
