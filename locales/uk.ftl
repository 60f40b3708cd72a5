# Widget
widget-count = { $count_text } з { $goal_text } { $metric ->
    [amount] зібрано
    [supporters] { $goal ->
        [one] прихильника
        [few] прихильників
       *[other] прихильників
    }
   *[members] { $goal ->
        [one] учасника
        [few] учасників
       *[other] учасників
    }
}
widget-reached = Мету досягнуто — дякуємо!
widget-ended = Кампанію завершено
widget-days-left = { $n ->
    [one] Залишився { $n } день
    [few] Залишилося { $n } дні
   *[other] Залишилося { $n } днів
}
widget-hours-left = { $n ->
    [one] Залишилася { $n } година
    [few] Залишилося { $n } години
   *[other] Залишилося { $n } годин
}
widget-join = { $metric ->
    [members] Стати учасником
   *[other] Підтримати
}

# Emails
email-greeting = Вітаємо,
email-signoff = — Команда підтримки
email-unsubscribe = Відписатися
email-manage = Керувати розсилками
email-confirm-subject = Підтвердіть, будь ласка, підписку
email-confirm-intro = Хтось (сподіваємося, ви) попросив надсилати на цю адресу такі розсилки:
email-confirm-action = Підтвердити підписку
email-confirm-expiry = Посилання діє один раз і впродовж 48 годин. Якщо ви цього не просили, просто проігноруйте цей лист.
email-already-subject = Ви вже підписані
email-already-intro = Хтось попросив підписати цю адресу, але вона вже отримує:
email-already-action = Щоб змінити розсилки, відкрийте налаштування:
email-confirmed-subject = Вітаємо — підписку підтверджено
email-confirmed-intro = Дякуємо! Відтепер ви отримуватимете:
email-confirmed-action = Змінити розсилки можна будь-коли:

# Newsletter pages
nl-title = Розсилки
nl-intro = Безкоштовні розсилки нашої редакції. Спершу ми надішлемо лист для підтвердження; доти нічого не надходитиме.
nl-email = Електронна адреса
nl-subscribe = Підписатися
nl-honeypot = Залиште це поле порожнім
nl-subscribed-title = Підписку оформлено
nl-subscribed-body = Ми надіслали вам лист для підтвердження. Відкрийте його та підтвердьте підписку, щоб отримувати наші розсилки.
nl-confirm-title = Підтвердіть підписку
nl-confirm-body = Підтвердіть, що хочете отримувати:
nl-confirm-button = Підтвердити підписку
nl-confirmed-title = Підписку підтверджено
nl-confirmed-body = Дякуємо! Підписку підтверджено. Ви отримуватимете:
nl-unsubscribe-title = Відписатися
nl-unsubscribe-body = Більше не отримувати ці розсилки?
nl-unsubscribe-button = Відписатися
nl-unsubscribed-title = Ви відписалися
nl-unsubscribed-body = Ви більше не отримуватимете:
nl-manage-title = Ваші розсилки
nl-manage-body = Оберіть, що надсилати на { $email }:
nl-manage-save = Зберегти
nl-manage-saved = Ваш вибір збережено.
nl-link-invalid = Це посилання недійсне. Скористайтеся найновішим листом від нас.
nl-link-expired = Термін дії посилання минув. Підпишіться знову, і ми надішлемо нове.
nl-link-used = Це посилання вже використано. Якщо ви підтвердили підписку, більше нічого робити не треба.
