DROP TABLE later_reminders;
