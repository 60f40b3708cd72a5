DROP TABLE payment_failures;
