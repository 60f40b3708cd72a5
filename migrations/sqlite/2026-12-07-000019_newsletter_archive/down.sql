ALTER TABLE newsletters DROP COLUMN public_archive;
