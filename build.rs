//! Rebuilds when a migration is added or changed: `embed_migrations!` reads the directories at
//! compile time, and cargo would not look at them otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
