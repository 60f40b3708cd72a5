-- A newsletter may publish its sent editions at /newsletters/{slug}/archive (newsletters/archive.rs).
ALTER TABLE newsletters ADD COLUMN public_archive BOOLEAN NOT NULL DEFAULT FALSE;
