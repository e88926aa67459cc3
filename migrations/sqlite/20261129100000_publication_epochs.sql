-- A chamber-wide publication counter (issue 14): every campaign publication draws the next
-- epoch of its chamber in the transaction that saves it, so the epochs of one chamber's
-- publications are distinct and in the order readers can see them (the row stays locked until
-- that transaction ends). The dashboard's rule over time runs over this order.
CREATE TABLE chamber_publication_epochs (
    chamber_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    epoch      BIGINT NOT NULL
);
