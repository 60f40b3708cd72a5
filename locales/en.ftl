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
