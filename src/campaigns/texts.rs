//! A campaign's outlet-written texts in each language readers may choose: its title and
//! appeal in Ukrainian for `?lang=uk`, say. What a language lacks falls back, text by text,
//! to the campaign's own.

use diesel::prelude::*;

use super::Campaign;
use crate::db::DbConnection;
use crate::db::schema::campaign_texts;
use crate::i18n::Lang;

/// The longest title, in every language.
pub const MAX_TITLE: usize = 200;
/// The longest appeal, in every language.
pub const MAX_DESCRIPTION: usize = 5000;

/// A campaign's title and appeal in one language; an empty text means "the campaign's own".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    /// The title.
    pub title: String,
    /// The appeal.
    pub description: String,
}

/// The texts of a campaign in every language we speak (empty where none was written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translations([Texts; Lang::ALL.len()]);

impl Translations {
    /// The texts written for `lang`.
    pub fn get(&self, lang: Lang) -> &Texts {
        &self.0[lang.index()]
    }

    /// Sets the texts of `lang`.
    pub fn set(&mut self, lang: Lang, texts: Texts) {
        self.0[lang.index()] = texts;
    }

    /// `campaign`'s title for a reader of `lang`.
    pub fn title<'a>(&'a self, campaign: &'a Campaign, lang: Lang) -> &'a str {
        or(&self.get(lang).title, &campaign.title)
    }

    /// `campaign`'s appeal for a reader of `lang`.
    pub fn description<'a>(&'a self, campaign: &'a Campaign, lang: Lang) -> &'a str {
        or(&self.get(lang).description, &campaign.description)
    }

    /// Whether `lang` has a title of its own.
    pub fn has_title(&self, lang: Lang) -> bool {
        !self.get(lang).title.is_empty()
    }

    /// For the audit log: each language's texts that are written.
    pub fn to_json(&self) -> serde_json::Value {
        Lang::ALL
            .into_iter()
            .filter(|lang| *self.get(*lang) != Texts::default())
            .map(|lang| {
                let texts = self.get(lang);
                (
                    lang.code().to_owned(),
                    serde_json::json!({"title": texts.title, "description": texts.description}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// The translations of a campaign.
    pub fn of(conn: &mut DbConnection, campaign: i32) -> QueryResult<Translations> {
        Ok(Translations::of_each(conn, &[campaign])?
            .into_iter()
            .next()
            .map(|(_, t)| t)
            .unwrap_or_default())
    }

    /// The titles written for `lang` of each of `campaigns` that has one, by campaign id.
    pub fn titles_in(
        conn: &mut DbConnection,
        campaigns: &[i32],
        lang: Lang,
    ) -> QueryResult<std::collections::HashMap<i32, String>> {
        let rows: Vec<(i32, String)> = campaign_texts::table
            .filter(campaign_texts::campaign_id.eq_any(campaigns))
            .filter(campaign_texts::lang.eq(lang.code()))
            .filter(campaign_texts::title.ne(""))
            .select((campaign_texts::campaign_id, campaign_texts::title))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    /// The translations of each of `campaigns` that has any.
    pub fn of_each(
        conn: &mut DbConnection,
        campaigns: &[i32],
    ) -> QueryResult<Vec<(i32, Translations)>> {
        let rows: Vec<(i32, String, String, String)> = campaign_texts::table
            .filter(campaign_texts::campaign_id.eq_any(campaigns))
            .order(campaign_texts::campaign_id)
            .select((
                campaign_texts::campaign_id,
                campaign_texts::lang,
                campaign_texts::title,
                campaign_texts::description,
            ))
            .load(conn)?;
        let mut each: Vec<(i32, Translations)> = Vec::new();
        for (campaign, lang, title, description) in rows {
            if each.last().is_none_or(|(id, _)| *id != campaign) {
                each.push((campaign, Translations::default()));
            }
            if let Some(lang) = Lang::parse(&lang) {
                let (_, translations) = each.last_mut().expect("pushed above");
                translations.set(lang, Texts { title, description });
            }
        }
        Ok(each)
    }

    /// Stores these as the campaign's translations (a language without texts has no row).
    pub fn save(&self, conn: &mut DbConnection, campaign: i32) -> QueryResult<()> {
        diesel::delete(campaign_texts::table.filter(campaign_texts::campaign_id.eq(campaign)))
            .execute(conn)?;
        for lang in Lang::ALL {
            let texts = self.get(lang);
            if *texts != Texts::default() {
                diesel::insert_into(campaign_texts::table)
                    .values((
                        campaign_texts::campaign_id.eq(campaign),
                        campaign_texts::lang.eq(lang.code()),
                        campaign_texts::title.eq(&texts.title),
                        campaign_texts::description.eq(&texts.description),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }
}

fn or<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.is_empty() { fallback } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_falls_back_on_its_own() {
        let mut translations = Translations::default();
        translations.set(
            Lang::Uk,
            Texts {
                title: "Допоможіть нам".into(),
                description: String::new(),
            },
        );
        let uk = translations.get(Lang::Uk);
        assert_eq!(or(&uk.title, "Help us"), "Допоможіть нам");
        assert_eq!(or(&uk.description, "We need you."), "We need you.");
        assert!(translations.has_title(Lang::Uk));
        assert!(!translations.has_title(Lang::En));
        assert_eq!(
            translations.to_json(),
            serde_json::json!({"uk": {"title": "Допоможіть нам", "description": ""}})
        );
    }
}
