-- An edition's preheader (newsletters/editions/mod.rs): the preview text mail clients show after
-- the subject, hidden at the top of the email's HTML. Empty: none.
ALTER TABLE editions ADD COLUMN preheader TEXT NOT NULL DEFAULT '';
