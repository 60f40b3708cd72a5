//! Domain enums stored as text, so one schema serves SQLite and PostgreSQL: the diesel
//! conversions for each backend and for the `MultiBackend` of [`crate::db::DbConnection`],
//! written once from the type's `as_str` and `FromStr`.

use std::fmt;

/// Text that names no value of a domain enum (a typo in input, or a row written by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// What was expected (`"membership status"`).
    pub kind: &'static str,
    /// The text as given.
    pub value: String,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.kind, self.value)
    }
}

impl std::error::Error for Unknown {}

/// Makes `$t` (with `fn as_str(self) -> &'static str` and `FromStr<Err = Unknown>`, and
/// `#[derive(AsExpression, FromSqlRow)] #[diesel(sql_type = Text)]`) readable and writable as
/// a `Text` column on both backends. A row whose text names no value fails to load with
/// [`Unknown`] rather than passing on a string nothing understands.
macro_rules! stored_as_text {
    ($t:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.as_str());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Ok(text.parse::<$t>()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $t {
            fn from_sql(
                bytes: diesel::sqlite::SqliteValue<'_, '_, '_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::from_sql(bytes)?;
                Ok(text.parse::<$t>()?)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend>
            for $t
        {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                bytes.from_sql::<$t, diesel::sql_types::Text>()
            }
        }
    };
}
pub(crate) use stored_as_text;
