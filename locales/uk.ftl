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

# Membership emails
email-account = Ваш обліковий запис
email-welcome-subject = Вітаємо та дякуємо за підтримку
email-welcome-body = Тепер ви учасник кампанії «{ $campaign }». Ваша підтримка тримає незалежну журналістику.
email-receipt-subject = Ваша квитанція: { $amount }
email-receipt-body = Ми отримали { $amount } { $date } за: { $what }. Дякуємо!
email-receipt-month = щомісячне членство
email-receipt-year = щорічне членство
email-receipt-once = разовий внесок
email-failed-subject = Платіж не пройшов
email-failed-body = Нам не вдалося списати { $amount } за ваше членство. Оновіть, будь ласка, картку, щоб членство тривало.
email-failed-action = Оновити картку
email-cancel-subject = Ваше членство скасовано
email-cancel-body = Ваше членство скасовано. Ви залишаєтеся учасником до { $until }. Повернутися можна будь-коли.
email-cancel-body-now = Ваше членство завершилося. Дякуємо за підтримку — повернутися можна будь-коли.
email-reminder-subject = Ваше річне членство скоро подовжиться
email-reminder-body = Членство подовжиться { $date } на суму { $amount }. Якщо бажаєте залишитися, нічого робити не треба; змінити чи скасувати його можна у вашому обліковому записі.

# Staff dashboard
admin-product = memberdrive
admin-skip = Перейти до змісту
admin-nav-label = Розділи панелі
admin-nav-overview = Огляд
admin-nav-members = Учасники
admin-nav-campaigns = Кампанії
admin-nav-newsletters = Розсилки
admin-nav-outbox = Черга листів
admin-nav-audit = Журнал дій
admin-sign-out = Вийти
admin-role-admin = адміністратор
admin-role-viewer = переглядач
admin-login-title = Вхід для працівників
admin-login-email = Електронна адреса
admin-login-password = Пароль
admin-login-submit = Увійти
admin-login-failed = Неправильна електронна адреса або пароль.
admin-login-throttled = Забагато невдалих спроб входу. Зачекайте { $minutes ->
    [one] { $minutes } хвилину
    [few] { $minutes } хвилини
   *[other] { $minutes } хвилин
} і спробуйте ще раз.
admin-overview-title = Панель
admin-overview-signed-in = Ви увійшли як
admin-overview-soon-title = Незабаром
admin-overview-soon-body = Тут з'являться дані про членство, кампанії та черга листів.
admin-audit-title = Журнал дій
admin-audit-empty = Поки що нічого не записано.
admin-audit-when = Коли
admin-audit-actor = Хто
admin-audit-action = Дія
admin-audit-subject = Об'єкт
admin-audit-details = Подробиці
admin-audit-pages = Сторінки журналу
admin-audit-page = Сторінка
admin-audit-newer = ← Новіші
admin-audit-older = Старіші →
admin-refused-title = Недоступно
admin-refused-sign-in = Увійдіть, будь ласка
admin-refused-link = Перейти до сторінки входу
admin-refused-anonymous = Спершу увійдіть до панелі.
admin-refused-internal = Щось пішло не так з нашого боку. Спробуйте ще раз за мить.
admin-refused-too-large = Форма завелика.
admin-refused-cross-site = Цю форму надіслано з іншого сайту.
admin-refused-csrf = Термін дії форми минув. Поверніться, оновіть сторінку і спробуйте ще раз.
admin-refused-viewer = Ваш обліковий запис може переглядати панель, але не змінювати дані. Зверніться до адміністратора.

# Join page
join-title = Долучайтеся
join-lead = Незалежну журналістику оплачують читачі. Станьте учасником або підтримайте нас разово.
join-membership = Стати учасником
join-monthly = Щомісяця
join-yearly = Щороку
join-per-month = { $amount } на місяць
join-per-year = { $amount } на рік
join-once = Підтримати разово
join-custom = Інша сума ({ $currency })
join-email = Ваша електронна адреса
join-continue = Перейти до оплати
join-secure = Оплату безпечно обробляє Stripe; ми не бачимо вашої картки.
join-not-configured = Платне членство ще не налаштовано. Ви можете підписатися на наші безкоштовні розсилки.
join-newsletters = Безкоштовні розсилки

# Account
acct-title = Ваше членство
acct-sign-in-lead = Введіть адресу, з якою ви долучилися. Ми надішлемо посилання для входу — пароль не потрібен.
acct-send-link = Надіслати посилання для входу
acct-link-sent-title = Перевірте пошту
acct-link-sent-body = Якщо ця адреса належить учаснику, ми надіслали на неї посилання для входу. Воно діє один раз упродовж 15 хвилин.
acct-link-title = Вхід
acct-link-body = Увійдіть до облікового запису учасника.
acct-link-button = Увійти
acct-link-subject = Ваше посилання для входу
acct-link-email = Скористайтеся цим посиланням упродовж 15 хвилин, щоб увійти. Якщо ви його не просили, проігноруйте лист.
acct-already = Ви вже учасник — дякуємо! Ось ваше членство.
acct-joined = Дякуємо, що долучилися! Членство з'явиться тут, щойно платіж підтвердять.
acct-memberships = Членство
acct-none = Членства ще немає.
acct-status-active = Активне
acct-status-trialing = Пробний період
acct-status-past_due = Платіж прострочено — оновіть картку
acct-status-canceled = Завершене
acct-status-incomplete = Очікує оплати
acct-status-unpaid = Не оплачено
acct-status-paused = Призупинене
acct-status-pending = Очікує оплати
acct-next-payment = Наступний платіж: { $amount }, { $date }
acct-ends = Скасовано — ви учасник до { $date }
acct-billing = Керувати оплатою, рівнем чи скасуванням
acct-newsletters = Розсилки
acct-newsletters-none = Ви не підписані на жодну розсилку.
acct-manage-newsletters = Керувати розсилками
acct-sign-out = Вийти
acct-signed-out = Ви вийшли.
