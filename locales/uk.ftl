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
