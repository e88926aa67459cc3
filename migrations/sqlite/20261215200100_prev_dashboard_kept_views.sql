-- Task prev (issue 17): per chamber and warmed filter (the whole chamber, each warmed campaign),
-- the dashboard last computed, kept across restarts so that a view arriving while the start
-- makes the chamber ready is served it under the running service's rule (`Campaigns::previous`):
-- only if the chamber's removal counts now equal `removals` (read before its publications) and
-- its campaigns are `campaigns` (ids in order). `inputs`: the code's fingerprint, the catalogue
-- and the policy; a dashboard made by other code is not loaded. `age`: the sum of the stored
-- versions of the publications it was computed from; a row is never replaced by an older one.
CREATE TABLE dashboard_kept_views (
    chamber_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    filter     TEXT   NOT NULL,
    inputs     TEXT   NOT NULL,
    campaigns  TEXT   NOT NULL,
    removals   TEXT   NOT NULL,
    older      BIGINT NOT NULL,
    age        BIGINT NOT NULL,
    dashboard  BLOB  NOT NULL,
    PRIMARY KEY (chamber_id, filter)
);
