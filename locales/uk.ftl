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
widget-stretch = { $reached } досягнуто — далі: { $next }
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
email-edition-why = Ви отримуєте цей лист, бо підписалися на розсилку «{ $newsletter }».
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
email-welcome-tier-body = Тепер ви учасник кампанії «{ $campaign }» на рівні «{ $tier }». Ваша підтримка тримає незалежну журналістику.
email-receipt-subject = Ваша квитанція: { $amount }
email-receipt-body = Ми отримали { $amount } { $date } за: { $what }. Дякуємо!
email-receipt-month = щомісячне членство
email-receipt-year = щорічне членство
email-receipt-once = разовий внесок
email-failed-subject = Платіж не пройшов
email-failed-body = Нам не вдалося списати { $amount } за ваше членство. Оновіть, будь ласка, картку, щоб членство тривало.
email-failed-action = Оновити картку
email-failed-reminder-subject = Нагадування: внесок за членство досі не сплачено
email-failed-reminder-body = Нам досі не вдалося списати { $amount } за ваше членство. Оновіть, будь ласка, картку у вашому обліковому записі, щоб членство тривало.
email-failed-last-subject = Останнє нагадування: ваше членство от-от завершиться
email-failed-last-body = Ми кілька разів намагалися списати { $amount } за ваше членство. Якщо протягом кількох днів картку не оновити, членство завершиться. В обліковому записі це займе хвилину.
email-cancel-subject = Ваше членство скасовано
email-cancel-body = Ваше членство скасовано. Ви залишаєтеся учасником до { $until }. Повернутися можна будь-коли.
email-cancel-body-now = Ваше членство завершилося. Дякуємо за підтримку — повернутися можна будь-коли.
email-reminder-subject = Ваше річне членство подовжиться { $date }
email-reminder-body = Членство подовжиться { $date } на суму { $amount }, яку буде списано з вашої картки. Якщо бажаєте залишитися, нічого робити не треба. Щоб скасувати, відкрийте обліковий запис до { $date }, оберіть «Керувати цим членством чи скасувати його» і скасуйте на сторінці оплати, що відкриється: більше коштів не спишуть, а членство триватиме до цієї дати.

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
admin-login-throttled-seconds = Забагато невдалих спроб входу. Зачекайте { $seconds ->
    [one] { $seconds } секунду
    [few] { $seconds } секунди
   *[other] { $seconds } секунд
} і спробуйте ще раз.
admin-login-busy = Зараз перевіряється забагато входів. Спробуйте ще раз за кілька секунд.
admin-login-disabled = Цей обліковий запис вимкнено. Попросіть адміністратора його ввімкнути.
admin-password-title = Новий пароль
admin-password-intro = Оберіть новий пароль для { $email }: щонайменше 12 символів.
admin-password-new = Новий пароль
admin-password-repeat = Повторіть новий пароль
admin-password-submit = Зберегти пароль
admin-password-mismatch = Паролі не збігаються.
admin-password-too-short = Пароль закороткий: потрібно щонайменше 12 символів.
admin-password-too-long = Пароль задовгий: не більше 1024 символів.
admin-password-invalid = Це посилання недійсне. Попросіть адміністратора надіслати нове.
admin-password-expired = Посилання застаріло або ним уже скористалися. Попросіть адміністратора надіслати нове.
admin-password-done-title = Пароль змінено
admin-password-done = Увійдіть із новим паролем. Усі сеанси вашого облікового запису завершено.
admin-password-sign-in = Увійти
staff-reset-subject = Новий пароль до панелі керування
staff-reset-email = Адміністратор запросив новий пароль для вашого облікового запису працівника { $email }. Посилання діє один раз упродовж години. Якщо ви цього не очікували, проігноруйте лист: пароль залишиться попереднім.
staff-reset-button = Обрати новий пароль
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
admin-campaign = Кампанія
admin-period = Період
admin-last-days = Останні { $days } днів
admin-show = Показати
admin-progress = Прогрес
admin-of = з
admin-live = Оновлюється сам, щойно хтось приєднується.
admin-gained-today = Приєдналися сьогодні
admin-gained-week = Приєдналися цього тижня
admin-projected = Мети буде досягнуто в такому темпі
admin-projection-reached = Досягнуто
admin-projection-none = Не в поточному темпі
admin-pace = Темп: { $amount } на тиждень (останні 28 днів)
admin-deadline-title = Кінцевий термін
admin-deadline = { $date } (залишилося днів: { $days })
admin-deadline-none = Без кінцевого терміну
admin-chart-signups = Щоденні приєднання (вгору) і скасування (вниз)
admin-chart-members = Члени порівняно з метою, з прогнозом
admin-chart-mrr = Щомісячний регулярний дохід
admin-chart-churn = Щомісячний відтік
admin-chart-tiers = Рівні чинних членів
admin-chart-numbers = Числа
admin-download-csv = Завантажити CSV
admin-col-day = День
admin-col-month = Місяць
admin-col-signups = Приєднання
admin-col-cancellations = Скасування
admin-col-members = Члени
admin-col-mrr = MRR
admin-col-active-at-start = Активні на початку
admin-col-ended = Завершені
admin-col-churn = Відтік, %
admin-chart-variants = Два варіанти заклику (A/B)
admin-col-variant = Варіант
admin-chart-reasons = Чому учасники скасовують
admin-col-reason = Причина
admin-col-cancelled = Скасували
admin-col-kept = Прийняли пропозицію й залишилися
admin-no-reason = Причину не вказано
admin-col-tier = Рівень
admin-col-memberships = Членства
admin-no-tier = Без рівня
admin-articles-title = Статті, що приводять членів
admin-articles-empty = За цей період жодна стаття не показала віджет і не привела члена.
admin-col-article = Стаття
admin-col-views = Перегляди віджета
admin-col-clicks = Натискання «Приєднатися»
admin-col-members-gained = Нові члени
admin-col-conversion = Конверсія
admin-back-overview = Назад до огляду
admin-campaigns-title = Кампанії
admin-campaign-new = Нова кампанія
admin-campaign-edit = Редагувати кампанію
admin-campaign-settings = Налаштування
admin-links = Посилання
admin-archived = в архіві
admin-widget-json = Дані віджета (JSON)
admin-metric-members = Члени
admin-metric-supporters = Прихильники (члени й донори)
admin-metric-amount = Зібрані кошти
admin-field-slug = Назва в адресі (a–z, 0–9, -)
admin-field-title = Заголовок
admin-field-description = Текст заклику
admin-field-metric = Що рахуємо
admin-field-goal = Мета (люди або сума для «зібраних коштів»)
admin-field-currency = Валюта (код ISO, напр. eur)
admin-field-starts = Початок
admin-field-ends = Кінцевий термін
admin-field-time-zone = Часовий пояс цих дат
admin-field-time-zone-hint = Кампанія починається на початку свого першого дня і закінчується в кінці останнього, за цим поясом (наприклад, Europe/Kyiv).
admin-field-milestones = Віхи (через кому, за зростанням)
admin-goals-reached = Досягнуті цілі
admin-goals-next = Тепер рухаємося до { $goal }, наступної цілі.
admin-field-stretch-goals = Наступні цілі: куди кампанія рухається, коли мету досягнуто (через кому, за зростанням)
admin-field-min-amount = Найменша сума внеску
admin-field-max-amount = Найбільша сума внеску
admin-field-presets = Запропоновані разові суми (через кому)
admin-field-donor-days = Скільки днів разовий донор вважається членом (0 — не вважається)
admin-field-archived = В архіві (приховано від читачів і віджета)
admin-field-title-b = Друга назва для A/B-тесту (необов'язково): віджет показує її замість назви половині читачів, а огляд порівнює обидві
admin-ledger-title = Внески поза Stripe
admin-ledger-help = Учасники чи гроші, що надійшли поза Stripe — банківські перекази, подія, інша платформа, — враховуються від своєї дати. Виправлення може бути від'ємним; кожен запис і його вилучення зберігаються в журналі аудиту.
admin-ledger-total = У реєстрі:
admin-ledger-date = Дата
admin-ledger-amount = Учасники (або сума для «зібраних коштів»)
admin-ledger-source = Джерело
admin-ledger-note = Примітка
admin-ledger-entered-by = Вніс(ла)
admin-ledger-add = Додати до реєстру
admin-ledger-remove = Вилучити
admin-error-ledger-date = Вкажіть день (РРРР-ММ-ДД), не пізніше сьогодні.
admin-error-ledger-amount = Вкажіть ціле число учасників (або суму для «зібраних коштів»), відмінне від 0; воно може бути від'ємним.
admin-error-ledger-source = Вкажіть, звідки надійшло, щонайбільше 200 символів.
admin-error-ledger-note = Примітка має бути коротшою за 500 символів.
admin-saved-ledger = Реєстр збережено й записано в журнал аудиту.
admin-save = Зберегти
admin-form-errors = Виправте позначені поля; нічого не збережено.
admin-saved-campaign = Кампанію збережено; віджет уже показує зміни.
admin-saved-tier = Рівень збережено.
admin-tiers-title = Рівні
admin-tier-name = Назва
admin-tier-monthly = Сума на місяць
admin-tier-yearly = Сума на рік
admin-tier-position = Порядок
admin-tier-save = Зберегти рівень
admin-tier-add = Додати рівень
admin-error-title = Введіть заголовок до 200 символів.
admin-error-description = Текст заклику — не більше 5 000 символів.
admin-error-title-length = Заголовок — не більше 200 символів.
admin-campaign-texts-en = Для читачів англійською
admin-campaign-texts-uk = Для читачів українською
admin-campaign-in-language-help = Це бачать читачі, які вибрали цю мову (?lang= віджета, сторінка вступу). Якщо поле порожнє, вони бачать заголовок і текст заклику вище.
admin-error-metric = Виберіть, що рахувати.
admin-error-goal = Введіть мету більше нуля: ціле число людей або суму, як 20000 чи 20000.50.
admin-error-currency = Введіть трилітерний код валюти, напр. eur.
admin-error-date = Введіть дату у форматі РРРР-ММ-ДД.
admin-error-ends-before = Кінець має бути після початку.
admin-error-time-zone = Виберіть часовий пояс зі списку, наприклад Europe/Kyiv або UTC.
admin-error-milestones = Введіть до 12 чисел за зростанням, більших за нуль і не більших за мету.
admin-error-stretch-goals = Введіть до 12 чисел за зростанням, більших за мету.
admin-error-days = Введіть кількість днів від 0 до 3650.
admin-error-min-amount = Введіть суму не менше 1.00.
admin-error-max-amount = Введіть суму, не меншу за найменшу.
admin-error-presets = Введіть до 12 сум між найменшою і найбільшою.
admin-error-slug = Використайте від 1 до 40 малих латинських літер, цифр і дефісів; назва має бути вільною.
admin-error-slug-taken = Кампанія з такою назвою в адресі вже існує.
admin-error-tier-name = Дайте рівню назву до 100 символів.
admin-error-tier-amount = Введіть суму між найменшою і найбільшою сумами кампанії.
admin-error-tier-amounts = Вкажіть суму на місяць або на рік.
admin-error-tier-position = Порядок має бути цілим числом.
admin-embed-title = Коди для вбудовування
admin-embed-lead = Вставте один із цих фрагментів у статтю. Вони працюють на будь-якому сайті й оновлюються наживо.
admin-embed-script = Скрипт (рекомендовано)
admin-embed-script-help = Наживо, доступно, не залежить від стилів статті; до завантаження показує зображення.
admin-embed-iframe = Iframe
admin-embed-iframe-help = Для сайтів, що не завантажують сторонніх скриптів. Короткий вбудований скрипт після iframe повідомляє, у якій статті він стоїть, щоб його перегляди й натискання «приєднатися» зараховувалися їй, і підганяє висоту iframe під вміст; якщо сайт вилучає скрипти, iframe лишається фіксованої висоти й не зараховується жодній статті.
admin-embed-image = Зображення
admin-embed-image-help = Для розсилок і сторінок без скриптів; оновлюється при завантаженні сторінки.
admin-embed-copy = Фрагмент для копіювання
admin-embed-preview = Попередній перегляд
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
acct-joined = Дякуємо, що долучилися! Членство з'явиться тут, щойно платіж підтвердять.
acct-joined-here = Дякуємо, що долучилися! Ось ваше членство.
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
acct-paused-until = Платежі призупинено до { $date }; тоді вони відновляться самі. Доти вас не враховують як учасника.
acct-paused = Платежі призупинено. Вони відновляться самі в дату, вказану нижче.
acct-pause-for = Призупинити платежі на
acct-pause = Призупинити платежі
acct-pause-months = { $months ->
    [one] { $months } місяць
    [few] { $months } місяці
   *[many] { $months } місяців
}
acct-pause-error-months = Оберіть, на скільки місяців призупинити.
acct-pause-error-membership = Такого членства немає.
acct-pause-error-state = Це членство зараз не можна призупинити: призупинити можна лише активне щомісячне членство, яке не завершується і ще не призупинене.
acct-ends = Скасовано — ви учасник до { $date }
acct-billing = Керувати оплатою, рівнем чи скасуванням
acct-manage-membership = Керувати цим членством
acct-cancel = Скасувати це членство
acct-cancel-title = Скасування членства
acct-cancel-why = Чи можемо ми запитати чому? (необов'язково)
acct-cancel-note = Що ви хотіли б нам сказати (необов'язково)
acct-cancel-offer-title = Перш ніж піти
acct-cancel-offer = Ми хотіли б, щоб ви залишилися: залишайтеся зі знижкою — { $offer }.
acct-cancel-offer-percent = { $percent } %
acct-cancel-offer-amount = { $amount }
acct-cancel-offer-once = { $discount } на наступний платіж
acct-cancel-offer-months = { $discount } на кожен платіж протягом { $months ->
    [one] { $months } місяця
   *[other] { $months } місяців
}
acct-cancel-offer-forever = { $discount } на кожен платіж, доки ви з нами
acct-cancel-take-offer = Залишитися з цією пропозицією
acct-cancel-when = Членство діятиме до кінця оплаченого періоду, а потім завершиться; більше нічого не буде списано.
acct-cancel-confirm = Скасувати моє членство
acct-cancel-keep = Залишити членство
acct-cancel-error-membership = Такого членства немає, або воно вже завершується.
acct-cancel-error-reason = Оберіть причину зі списку або жодної.
acct-cancel-error-note = Будь ласка, напишіть коротше за 2 000 символів.
acct-cancel-error-choice = Оберіть: скасувати чи прийняти пропозицію.
acct-cancel-error-offer = Ця пропозиція недоступна для цього членства.
acct-back-to-article = Повернутися до статті
remind-title = Нагадати пізніше
remind-lead = Ще не готові підтримати «{ $campaign }» сьогодні? Залиште адресу — ми надішлемо одне нагадування за тиждень.
remind-button = Нагадати за тиждень
remind-promise = Один лист, один раз: ми не додамо вас до жодного списку і не писатимемо ні про що інше.
remind-error-email = Введіть правильну адресу електронної пошти, наприклад name@example.org.
remind-sent-title = Перевірте пошту
remind-sent-body = Ми надіслали вам лист для підтвердження. Підтвердьте — і ми нагадаємо один раз, за тиждень.
remind-confirm-title = Підтвердьте нагадування
remind-confirm-body = Ми надішлемо одне нагадування за тиждень, і більше нічого.
remind-confirm-button = Так, нагадайте
remind-confirmed-title = Ми нагадаємо
remind-confirmed-body = Ми надішлемо одне нагадування { $date }. Це все.
email-remind-confirm-subject = Підтвердьте нагадування про «{ $campaign }»
email-remind-confirm-body = Ви попросили нагадати вам про «{ $campaign }» за тиждень. Підтвердьте кнопкою нижче; якщо це були не ви, просто проігноруйте лист — більше нічого не надійде.
email-remind-confirm-action = Підтвердити нагадування
email-remind-later-subject = Ваше нагадування: «{ $campaign }»
email-remind-later-body = Тиждень тому ви попросили нагадати вам про «{ $campaign }». Якщо хочете підтримати незалежну журналістику — саме час. Це єдине нагадування, яке ми надсилаємо.
email-remind-later-action = Стати учасником
acct-statements = Звіти
acct-statement-download = Платежі за { $year } (CSV)
acct-statement-yearly = Надсилати мені щосічня звіт про платежі за минулий рік
acct-statement-save = Зберегти
acct-statements-saved = Налаштування звіту збережено.
acct-statement-error-year = Звіту за цей рік немає.
acct-statement-date = Дата
acct-statement-campaign = Кампанія
acct-statement-kind = Вид
acct-statement-amount = Сума
acct-statement-currency = Валюта
acct-statement-total = Разом
acct-statement-subscription = Членство
acct-statement-donation = Пожертва
email-statement-subject = Ваші платежі за { $year }
email-statement-body =
    Дякуємо, що підтримували нас у { $year } році. Ваші платежі:

    { $payments }

    Разом: { $total }. На сторінці вашого облікового запису є те саме для завантаження.
email-statement-action = Відкрити обліковий запис
acct-kept = Дякуємо, що залишаєтеся! Знижка діятиме для наступних платежів.
acct-cancelling = Членство скасовано: воно діятиме до кінця оплаченого періоду, і більше нічого не буде списано.
cancel-reason-price = Це задорого
cancel-reason-not_reading = Я читаю надто мало, щоб платити
cancel-reason-coverage = Я не згоден із висвітленням
cancel-reason-finances = Мої фінанси змінилися
cancel-reason-elsewhere = Я підтримую інше видання
cancel-reason-other = Інше
acct-newsletters = Розсилки
acct-newsletters-none = Ви не підписані на жодну розсилку.
acct-manage-newsletters = Керувати розсилками
acct-sign-out = Вийти
acct-signed-out = Ви вийшли.

# Dashboard: members, outbox, newsletters
admin-back = ← Назад
admin-not-found = Не знайдено
admin-pages = Сторінки
admin-previous = ← Попередня
admin-next = Наступна →
admin-form-has-errors = Виправте, будь ласка, позначені поля. Нічого не збережено.
admin-members-title = Учасники
admin-members-search = Адреса або ім'я
admin-members-status = Статус
admin-members-campaign = Кампанія
admin-members-tier = Рівень
admin-members-any = Будь-який
admin-members-from = Долучилися не раніше
admin-members-to = Долучилися не пізніше
admin-members-joined-hint = Дата долучення — початок членства (що відповідає іншим фільтрам); для людей без членства — день, коли їх додали.
admin-members-apply = Шукати
admin-members-clear = Скинути фільтри
admin-members-count = { $count ->
    [one] { $count_text } учасник
    [few] { $count_text } учасники
    [many] { $count_text } учасників
   *[other] { $count_text } учасника
}
admin-members-csv = Завантажити цих учасників у CSV
admin-members-email = Адреса
admin-members-name = Ім'я
admin-members-joined = Долучився
admin-members-bad-status = Виберіть статус зі списку.
admin-members-bad-tier = Виберіть рівень зі списку.
admin-members-bad-campaign = Виберіть кампанію зі списку.
admin-members-bad-date = Пишіть дати у форматі РРРР-ММ-ДД, наприклад 2025-03-01.
admin-members-bad-period = Період закінчується раніше, ніж починається.
admin-status-none = Без членства
admin-status-active = Активне
admin-status-trialing = Пробний період
admin-status-past_due = Платіж прострочено
admin-status-canceled = Скасоване
admin-status-unpaid = Не оплачене
admin-status-incomplete = Незавершене
admin-status-incomplete_expired = Незавершене, прострочене
admin-status-paused = Призупинене
admin-status-pending = Очікує
admin-member-back = ← Усі учасники
admin-member-unknown = Учасника з таким номером немає.
admin-member-added = Додано
admin-member-language = Мова
admin-member-stripe = Stripe
admin-member-stripe-link = Відкрити клієнта в Stripe
admin-member-no-stripe = Не клієнт Stripe
admin-member-timeline = Історія
admin-member-no-events = Поки нічого не сталося.
admin-member-when = Коли
admin-member-event = Подія
admin-member-details = Подробиці
admin-member-per-month = { $amount } на місяць
admin-member-per-year = { $amount } на рік
admin-event-membership-started = Членство почалося
admin-event-membership-cancels = Членство завершиться (скасовано з кінцем періоду)
admin-event-membership-ended = Членство завершилося
admin-event-payment = Платіж
admin-event-donation = Пожертва
admin-event-refunded = повернено { $amount }
admin-event-disputed = оскаржено ({ $status })
admin-event-email = Лист
admin-event-newsletter-requested = Запит на підписку на розсилку
admin-event-newsletter-confirmed = Підписку на розсилку підтверджено
admin-event-newsletter-left = Відписка від розсилки
admin-payment-succeeded = Оплачено
admin-payment-failed = Не вдалося
admin-newsletter-pending = Очікує підтвердження
admin-newsletter-confirmed = Підтверджено
admin-newsletter-unsubscribed = Відписано
admin-outbox-title = Черга листів
admin-suppressions-title = Заблоковані адреси
admin-suppressions-intro = На адреси, що остаточно повернули лист, ми нічого не надсилаємо; власники адрес, які позначили наш лист як спам, більше не отримують розсилок. Зніміть блокування, коли читач попросить знову надсилати листи.
admin-suppressions-empty = Заблокованих адрес немає.
admin-suppressions-reason = Причина
admin-suppressions-source = Хто повідомив
admin-suppressions-since = Відколи
admin-suppressions-bounce = Лист не доставлено
admin-suppressions-complaint = Скарга на спам
admin-suppressions-lift = Зняти
admin-suppressions-lifted = На { $email } знову можна надсилати листи.
admin-suppressions-unknown = Цієї адреси немає в списку.
admin-outbox-queued = У черзі
admin-outbox-retrying = Повторна спроба
admin-outbox-sent = Надіслано
admin-outbox-dead = Не доставлено
admin-outbox-unsent = Ще не надіслані
admin-outbox-empty = Усі листи надіслано.
admin-outbox-recipient = Одержувач
admin-outbox-subject = Тема
admin-outbox-state = Стан
admin-outbox-attempts = Спроби
admin-outbox-next-try = Наступна спроба
admin-outbox-last-error = Остання помилка
admin-outbox-actions = Дії
admin-outbox-retry = Повторити
admin-outbox-retried = Лист { $id } знову в черзі й незабаром буде надісланий.
admin-outbox-not-dead-title = Нічого повторювати
admin-outbox-not-dead = Лист { $id } не позначено як недоставлений (стан: { $state }), тож повторити його не можна. Нічого не змінено.
admin-outbox-unknown = У черзі немає листа з таким номером.
admin-newsletters-title = Розсилки
admin-newsletters-new = Нова розсилка
admin-newsletters-back = ← Усі розсилки
admin-newsletters-empty = Розсилок ще немає.
admin-newsletters-name = Назва
admin-newsletters-slug = Коротка назва (в адресах)
admin-newsletters-language = Мова
admin-newsletters-language-en = Англійська
admin-newsletters-language-uk = Українська
admin-newsletters-description = Опис
admin-newsletters-position = Позиція
admin-newsletters-position-hint = Розсилки показано від найменшої позиції.
admin-newsletters-confirmed = Підписники
admin-newsletters-pending = Очікують підтвердження
admin-newsletters-gained = Нові за 30 днів
admin-newsletters-left = Відписалися за 30 днів
admin-newsletters-archived = В архіві
admin-newsletters-slug-hint = Малі латинські літери, цифри й дефіси, до 40. Змінити її потім не можна.
admin-newsletters-slug-fixed = Коротку назву змінити не можна: її використовують форми підписки на сайті.
admin-newsletters-create = Створити розсилку
admin-newsletters-save = Зберегти
admin-newsletters-archive = В архів
admin-newsletters-archive-hint = Розсилка в архіві зникає з публічної сторінки й форм підписки. Підписники зберігаються.
admin-newsletters-restore = Повернути
admin-newsletters-restore-hint = Ця розсилка в архіві: читачі її не бачать і не можуть на неї підписатися.
admin-newsletters-bad-slug = Використайте від 1 до 40 малих латинських літер, цифр і дефісів (не «new»).
admin-newsletters-slug-taken = Ця коротка назва вже належить іншій розсилці.
admin-newsletters-bad-name = Назва — до 100 символів, і вона обов'язкова.
admin-newsletters-bad-description = Опис — не більше 500 символів.
admin-newsletters-bad-language = Виберіть англійську або українську.
admin-newsletters-bad-position = Позиція — ціле число, наприклад 1 або 10.
admin-newsletters-unknown = Розсилки з такою короткою назвою немає.
admin-newsletters-created = Розсилку «{ $slug }» створено.
admin-newsletters-saved = Розсилку «{ $slug }» збережено.
admin-newsletters-unchanged = Зберігати нічого: розсилка «{ $slug }» не змінилася.
admin-newsletters-archived-notice = Розсилку «{ $slug }» перенесено в архів.
admin-newsletters-restored = Розсилка «{ $slug }» знову публічна.

error-not-found = Не знайдено
error-ours = Щось пішло не так
error-refused = Не вдалося
error-home = Повернутися на початкову сторінку
error-no-such-page = За цією адресою сторінки немає. Можливо, її перенесли або в посиланні помилка.
home-more = Більше
home-account = Ваше членство

# Gift memberships
gift-title = Подаруйте членство
gift-lead = Подаруйте комусь кілька місяців членства: людина почне його, коли захоче, картка не потрібна. Ваш подарунок зараховується до «{ $campaign }».
gift-no-tiers = Подарувати членство поки що не можна.
gift-choose = Членство
gift-length = Тривалість
gift-months = { $months ->
    [one] { $months } місяць
    [few] { $months } місяці
   *[other] { $months } місяців
}
gift-recipient = Адреса отримувача
gift-message = Ваше повідомлення (необов'язково)
gift-deliver-on = Дата вручення
gift-your-email = Ваша адреса (для квитанції)
gift-join-instead = Стати членом самому
gift-product = Подарунок: { $tier }, { $months ->
    [one] { $months } місяць
    [few] { $months } місяці
   *[other] { $months } місяців
} — { $campaign }
gift-error-tier = Виберіть членство, яке даруєте.
gift-error-months = Виберіть 1, 3, 6 або 12 місяців.
gift-error-recipient = Введіть адресу отримувача, наприклад name@example.org.
gift-error-buyer = Введіть свою адресу, наприклад name@example.org.
gift-error-message = Повідомлення — не більше 500 символів.
gift-error-date = Виберіть дату вручення від сьогодні до року наперед.
gift-error-campaign = Такої кампанії немає.
gift-thanks-title = Дякуємо за подарунок
gift-thanks-body = Ми надіслали вам квитанцію. Подарунок надійде у вибраний день, а коли його активують, ми вам повідомимо.
gift-redeem-title = Ваше подароване членство
gift-redeem-unknown = Це посилання на подарунок недійсне. Якщо ви його копіювали, перевірте, чи нічого не бракує.
gift-redeem-used = Цей подарунок уже активовано.
gift-redeem-expired = Цей подарунок не активували протягом року, і його строк минув.
gift-redeem-refunded = Кошти за цей подарунок повернули покупцеві, тож активувати його вже не можна.
gift-redeem-member = Ви вже платите за членство, тож подарунок не можна додати до нього. Передайте його комусь іншому або напишіть нам.
gift-redeemed-title = Вітаємо!
gift-redeemed-body = Ваше членство почалося й триває до { $until }. Дякуємо, що читаєте нас.
gift-stage-scheduled = Заплановано
gift-stage-delivered = Надіслано
gift-stage-redeemed = Активовано
gift-stage-expired = Строк минув
gift-stage-refunded = Кошти повернуто
email-gift-receipt-subject = Ваш подарунок на { $amount } оплачено
email-gift-receipt-body = Дякуємо! Ми надішлемо подарунок на { $recipient } { $date } з посиланням для активації й повідомимо вас, коли його активують.
email-gift-another = Подарувати ще одне членство
email-gift-subject = { $from } дарує вам членство
email-gift-body = { $from } дарує вам { $months ->
    [one] { $months } місяць
    [few] { $months } місяці
   *[other] { $months } місяців
} членства «{ $tier }» у «{ $campaign }». Почніть, коли захочете: картка не потрібна.
email-gift-message = Повідомлення: «{ $message }»
email-gift-redeem = Почати членство
email-gift-redeemed-subject = { $recipient } активує ваш подарунок
email-gift-redeemed-body = { $recipient } активував(-ла) подароване вами членство. Дякуємо, що підтримуєте незалежну журналістику.
email-gift-ending-subject = Ваше подароване членство скоро завершиться
email-gift-ending-body = Подароване вам членство завершується { $until }. Щоб залишитися членом, продовжте з карткою; якщо нічого не робити, воно просто завершиться.
email-gift-continue = Залишитися членом
admin-nav-gifts = Подарунки
admin-gifts-title = Подаровані членства
admin-gifts-empty = Подарунків ще не купували.
admin-gifts-stage = Етап
admin-gifts-gift = Подарунок
admin-gifts-buyer = Покупець
admin-gifts-recipient = Отримувач
admin-gifts-dates = Оплата → вручення → кінець
admin-gifts-resend = Надіслати ще раз
admin-gifts-resent = Подарунок { $id } надіслано ще раз із новим посиланням.
admin-gifts-refunded = повернуто { $amount }
admin-gifts-not-resendable-title = Не надіслано
admin-gifts-not-resendable = Цей подарунок уже активовано, кошти за нього повернуто, строк минув або його немає.
admin-nav-payments = Невдалі платежі
admin-payments-title = Невдалі платежі
admin-payments-intro = Ті, хто перевіряє крадені картки, пробують картку за карткою з одного місця. Клієнт, чиї платежі не пройшли { $failures } разів за { $minutes } хвилин, не може почати новий платіж, доки не мине { $minutes } хвилин від першої з цих невдач. Клієнта показано ключем, утвореним з його мережевої адреси, ніколи не самою адресою.
admin-payments-summary = За останні 24 години: невдалих платежів — { $failures }, клієнтів — { $clients }; заблоковано зараз — { $blocked }.
admin-payments-client = Клієнт
admin-payments-failures = Невдачі
admin-payments-last = Остання невдача
admin-payments-detail = Кампанія · сума · причина відмови
admin-payments-status = Стан
admin-payments-blocked = Заблоковано
admin-payments-not-blocked = Не заблоковано
admin-payments-clear = Скинути невдачі
admin-payments-cleared = Невдачі клієнта { $client } скинуто: він знову може платити.
admin-payments-unknown = Цей клієнт не має невдалих платежів, які можна скинути.
admin-editions-link = Випуски
admin-editions-title = Випуски
admin-editions-audience = Підтверджених підписників сьогодні: { $readers }.
admin-editions-empty = Ще не надіслано жодного випуску.
admin-editions-subject = Тема
admin-editions-status = Стан
admin-editions-when = Надсилання з
admin-editions-reach = Поступ
admin-editions-progress = У черзі { $queued } з { $readers }, надіслано { $sent }{ $failed ->
        [0] {""}
       *[other] , не вдалося надіслати { $failed_text }
    }{ $suppressed ->
        [0] {""}
       *[other] , пропущено { $suppressed_text }
    }
admin-editions-status-scheduled = Заплановано
admin-editions-status-sending = Надсилається
admin-editions-status-sent = Надіслано
admin-editions-status-cancelled = Скасовано
admin-editions-new = Написати випуск
admin-editions-body = Текст (Markdown)
admin-editions-body-hint = Заголовки через #, **жирний**, _курсив_, [посилання](https://…), списки й таблиці. HTML показано як текст. Лист кожного читача закінчується його власним посиланням для відписки.
admin-editions-send-at = Надіслати о
admin-editions-send-at-hint = За часом { $zone }. Залиште порожнім, щоб надіслати зараз. Випуск отримають ті, хто підтвердив підписку на момент початку надсилання.
admin-editions-preview = Переглянути
admin-editions-test = Надіслати тест
admin-editions-send = Надіслати
admin-editions-preview-heading = Попередній перегляд
admin-editions-test-subject = [Тест] { $subject }
admin-editions-tested = Тестовий лист надіслано на { $email }.
admin-editions-scheduled = Випуск { $id } вирушив: поступ нижче стежить за ним.
admin-editions-error-subject = Тема має містити від 1 до 200 символів в одному рядку.
admin-editions-error-body = Напишіть текст випуску (не більше 512 КіБ).
admin-editions-error-past = Цей час минув: залиште поле порожнім, щоб надіслати зараз.
admin-editions-error-time = Вкажіть дату й час або залиште поле порожнім, щоб надіслати зараз.

## Вихідні вебхуки (/admin/webhooks)
admin-nav-webhooks = Вебхуки
admin-webhooks-title = Вебхуки
admin-webhooks-intro = Інші ваші інструменти (CRM, сервіс розсилок, аналітика, чат) можуть отримувати події одразу, як вони стаються. Кожне надсилання підписане за специфікацією Standard Webhooks; поки адреса не відповідає статусом 2xx, ми повторюємо спроби з дедалі довшими паузами близько трьох з половиною годин, а потім показуємо надсилання тут як невдале, доки ви не повторите його.
admin-webhooks-none = Жодна адреса ще не отримує подій.
admin-webhooks-add = Додати адресу
admin-webhooks-endpoint = Адреса
admin-webhooks-url = URL адреси
admin-webhooks-url-hint = Адреса http або https, що приймає POST-запити з тілом JSON. Переспрямування не виконуються.
admin-webhooks-description = Опис (необов'язково)
admin-webhooks-events = Події, які вона отримує
admin-webhooks-enabled = Увімкнено: надсилати нові події
admin-webhooks-enabled-short = Увімкнено
admin-webhooks-disabled = Вимкнено
admin-webhooks-state = Стан
admin-webhooks-failed-count = { $count ->
        [one] { $count } невдале надсилання
        [few] { $count } невдалі надсилання
       *[other] { $count } невдалих надсилань
    }
admin-webhooks-bad-url = Введіть повну адресу, що починається з https:// або http://.
admin-webhooks-long-description = Опис може мати щонайбільше { $max } символів.
admin-webhooks-no-events = Виберіть принаймні одну подію зі списку.
admin-webhooks-back = ← Усі вебхуки
admin-webhooks-save = Зберегти
admin-webhooks-created = Адресу додано. Скопіюйте її секрет підпису в інструмент, що прийматиме події.
admin-webhooks-saved = Збережено.
admin-webhooks-rotated = Відтепер підписує новий секрет. Ще 24 години надсилання підписуватиме й старий, тож інструмент перейде на новий, нічого не пропустивши.
admin-webhooks-retried = Надсилання знову в черзі.
admin-webhooks-unknown = Такої адреси немає.
admin-webhooks-not-dead = Повторити можна лише надсилання, що остаточно не вдалося, а це — ні.
admin-webhooks-secret = Секрет підпису
admin-webhooks-secret-hint = Інструмент перевіряє цим секретом заголовок webhook-signature кожного надсилання (це вміє будь-яка бібліотека Standard Webhooks). Тримайте його в таємниці.
admin-webhooks-secret-admins = Секрет бачать лише адміністратори.
admin-webhooks-previous-until = Попередній секрет також підписує до
admin-webhooks-rotate = Змінити секрет
admin-webhooks-remove-hint = Якщо видалити адресу, її ще не надіслані події буде відкликано.
admin-webhooks-remove = Видалити адресу
admin-webhooks-log = Останні надсилання
admin-webhooks-log-empty = На цю адресу ще не надсилали жодної події.
admin-webhooks-when = Час події
admin-webhooks-event = Подія
admin-webhooks-answer = Відповідь
admin-webhooks-delivered = Доставлено
admin-webhooks-queued = У черзі
admin-webhooks-retrying = Повторна спроба
admin-webhooks-dead = Не вдалося

## Облікові записи працівників у панелі (/admin/staff) і «забули пароль»
staff-invite-subject = Вас запрошено до панелі керування
staff-invite-email = Адміністратор створив обліковий запис працівника { $email } у панелі керування. Оберіть пароль, щоб увійти: посилання діє один раз упродовж 7 днів.
staff-invite-button = Обрати пароль
staff-forgot-subject = Новий пароль до панелі керування
staff-forgot-email = Хтось попросив на сторінці входу новий пароль для облікового запису працівника { $email }. Посилання діє один раз упродовж години. Якщо це були не ви, проігноруйте лист: пароль залишиться попереднім.
admin-nav-staff = Працівники
admin-staff-title = Облікові записи працівників
admin-staff-intro = Адміністратори змінюють налаштування; переглядачі бачать усе й нічого не змінюють. Вимкнений обліковий запис виходить з усіх сеансів і не може увійти. Кожна зміна тут потрапляє до журналу дій.
admin-staff-email = Електронна пошта
admin-staff-role = Роль
admin-staff-state = Стан
admin-staff-last = Останній вхід
admin-staff-never = ще не входив
admin-staff-active = Активний
admin-staff-invited = Запрошений
admin-staff-disabled = Вимкнений
admin-staff-save-role = Зберегти роль
admin-staff-reset = Надіслати посилання для пароля
admin-staff-disable = Вимкнути
admin-staff-enable = Увімкнути
admin-staff-remove = Видалити
admin-staff-invite = Запросити
admin-staff-invite-hint = Працівник отримає лист із посиланням, щоб обрати пароль; воно діє один раз упродовж 7 днів.
admin-staff-bad-invite = Введіть правильну адресу електронної пошти й оберіть роль.
admin-staff-bad-action = Ця сторінка такого не вміє.
admin-staff-exists = Для цієї адреси вже є обліковий запис працівника.
admin-staff-unknown = Такого облікового запису немає.
admin-staff-already = Змінювати нічого: обліковий запис уже такий (вимкненому запису посилання не надсилаємо — спершу увімкніть його).
admin-staff-last-admin = Це останній увімкнений адміністратор. Спершу зробіть адміністратором когось іще, щоб панеллю й далі було кому керувати.
admin-staff-yourself = Не можна вимкнути чи видалити власний обліковий запис. Попросіть іншого адміністратора.
admin-staff-done-invited = Запрошення надіслано: працівник отримає посилання, щоб обрати пароль.
admin-staff-done-set_role = Роль змінено.
admin-staff-done-disable = Вимкнено: обліковий запис вийшов з усіх сеансів.
admin-staff-done-enable = Увімкнено: обліковий запис знову може входити.
admin-staff-done-reset = Посилання, щоб обрати новий пароль, уже в дорозі.
admin-staff-done-remove = Обліковий запис видалено.
admin-login-forgot = Забули пароль?
admin-forgot-title = Забули пароль
admin-forgot-intro = Введіть адресу свого облікового запису працівника. Якщо такий запис є, ми надішлемо на неї посилання, щоб обрати новий пароль; воно діє один раз упродовж години.
admin-forgot-submit = Надіслати посилання
admin-forgot-sent = Якщо для { $email } є обліковий запис працівника, посилання для нового пароля вже в дорозі. Перевірте пошту (і теку «Спам»).

## Підписники розсилок (/admin/subscribers)
admin-subscribers-title = Підписники
admin-subscribers-link = Підписники
admin-subscribers-search = Адреса містить
admin-subscribers-newsletter = Розсилка
admin-subscribers-state = Стан
admin-subscribers-any = Будь-яка
admin-subscribers-filter = Відібрати
admin-subscribers-count = { $count ->
    [one] { $count_text } підписка
    [few] { $count_text } підписки
   *[other] { $count_text } підписок
}
admin-subscribers-csv = Завантажити як CSV
admin-subscribers-pending = Чекає на підтвердження
admin-subscribers-confirmed = Підтверджено
admin-subscribers-unsubscribed = Відписався
admin-subscribers-asked = Підписався
admin-subscribers-confirmed-at = Підтвердив
admin-subscribers-left-at = Відписався
admin-subscribers-source = Згода надана
admin-subscribers-double-opt-in = тут, підтвердженням листа
admin-subscribers-back = ← Усі підписники
admin-subscribers-language = Мова
admin-subscribers-since = Уперше підписався
admin-subscribers-consent = Історія згоди
admin-subscribers-unsubscribe = Відписати
admin-subscribers-unknown = Такого підписника немає.
admin-subscribers-left = Відписано від розсилки «{ $newsletter }».
admin-subscribers-not-subscribed = Цю адресу не підписано на цю розсилку (або вже відписано).
admin-editions-status-paused = Призупинено
admin-editions-pause = Призупинити
admin-editions-resume = Продовжити
admin-editions-cancel = Скасувати надсилання
admin-editions-done-pause = Призупинено: більше жоден лист цього випуску не піде (ті, що вже в дорозі, дійдуть), доки ви не продовжите надсилання.
admin-editions-done-resume = Продовжено з того місця, де зупинилося; ніхто не отримає випуск двічі.
admin-editions-done-cancel = Скасовано: ще не надіслані листи відкликано.
admin-editions-cannot = Цей випуск має стан «{ $status }»: зараз цього з ним зробити не можна.
admin-person-title = Дані цієї людини
admin-person-export = Завантажити все, що зберігається про цю адресу (JSON)
admin-person-erase-hint = Стирання (стаття 17 GDPR) видаляє або знеособлює записи учасника й підписника, посилання, сеанси та листи; платежі лишаються без особистих даних, щоб підсумки сходилися. Членство, за яке ще списують кошти, треба спершу скасувати. Клієнта в Stripe стерти там окремо.
admin-person-type-address = Введіть адресу ще раз, щоб стерти її
admin-person-erase = Стерти дані людини
admin-person-confirm = Щоб стерти, введіть ту саму адресу в обидва поля.
admin-person-erased = Стерто: нічого особистого про цю адресу більше не зберігається. Зітріть клієнта і в Stripe.
admin-person-nothing = Про цю адресу нічого не зберігається.
nl-archive-title = Попередні випуски
nl-archive-empty = Ще не надіслано жодного випуску.
nl-archive-subscribe = Отримуйте поштою:
admin-newsletters-public-archive = Публікувати випуски
admin-newsletters-public-archive-hint = Надіслані випуски з'являться на публічній сторінці, без жодних особистих посилань читачів.

## Branding (/admin/branding)
admin-nav-branding = Брендинг
admin-branding-title = Брендинг
admin-branding-intro = Назва, логотип і колір вашого видання на сторінці вступу, сторінці подяки, у віджеті та в кожному листі. Залиште поле порожнім, щоб лишити нейтральний вигляд memberdrive.
admin-branding-saved = Брендинг збережено. Сторінки, віджет і нові листи вже його використовують.
admin-branding-outlet-name = Назва видання
admin-branding-site-url = Ваш сайт
admin-branding-site-url-hint = Кожна публічна сторінка веде назад на нього.
admin-branding-logo-url = Адреса логотипа
admin-branding-logo-url-hint = Адреса зображення на вашому сайті (https://…), заввишки близько 32 пікселів.
admin-branding-accent = Фірмовий колір
admin-branding-accent-hint = У форматі #rrggbb, для кнопок і шкали прогресу. На світлому кольорі текст стає темним.
admin-branding-sender-name = Ім'я відправника листів
admin-branding-sender-name-hint = Ім'я, від якого надходять листи; адреса лишається тією, що вказана в налаштуваннях сервісу. Порожнє — назва видання.
admin-branding-footer = Підвал листів
admin-branding-footer-hint = Поштова адреса видання, як того вимагають правила масових розсилок (не більше 6 рядків).
admin-branding-privacy-url = Політика конфіденційності
admin-branding-terms-url = Умови користування
admin-branding-save = Зберегти брендинг
admin-branding-preview = Як збережено
admin-branding-button = Стати учасником
admin-branding-bad-name = Поле «{ $field }» може мати щонайбільше { $max } символів в одному рядку.
admin-branding-bad-url = { $field }: введіть повну адресу, що починається з https:// або http://.
admin-branding-bad-colour = Введіть фірмовий колір як # і шість шістнадцяткових цифр, наприклад #c8102e.
admin-branding-long-footer = Підвал листів може мати щонайбільше { $max } символів у { $lines } рядках.
brand-privacy = Політика конфіденційності
brand-terms = Умови користування
brand-back = Назад до { $outlet }
brand-back-site = Назад на сайт

## Goal named in a title (campaign page)
admin-goal-in-title = Мета тепер { $new }, а в заголовку досі { $old }.
admin-goal-in-title-fix = Змінити заголовок

## Tier texts per language (campaign page)
admin-tier-description = Опис
admin-tier-texts = Назва й опис іншими мовами
admin-error-tier-description = Опис рівня може мати щонайбільше 300 символів, назва — 100.

## Editions (preheader, tests, progress)
admin-editions-preheader = Текст попереднього перегляду
admin-editions-preheader-hint = Текст, який більшість поштових програм показує після теми листа, не більше 150 символів. Залиште порожнім, якщо він не потрібен.
admin-editions-preview-inbox = У поштовій скриньці
admin-editions-error-preheader = Текст попереднього перегляду може мати не більше 150 символів в одному рядку.
admin-editions-test-to = Кому надіслати тест
admin-editions-test-to-hint = До 5 адрес, через кому або з нового рядка. Залиште порожнім, щоб надіслати тест собі.
admin-editions-error-test-address = «{ $address }» — не адреса електронної пошти. Розділяйте адреси комами або переносом рядка.
admin-editions-error-test-many = Тест можна надіслати щонайбільше на 5 адрес.
admin-editions-error-skipped = Такого часу в зоні { $zone } немає: його пропускають, коли переводять годинники. Виберіть інший час.

## Limits against abuse (public forms)
limit-network = Забагато спроб із вашої мережі. Спробуйте ще раз за хвилину.
limit-address = Для цієї адреси розпочато забагато платежів. Спробуйте ще раз за годину.
limit-payments-blocked = Із вашої мережі надто багато невдалих платежів. Спробуйте ще раз за годину або напишіть нам.
