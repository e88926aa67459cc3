-- A response's answers become one column of its row: a JSON object of question id to its
-- comma-joined option ids (issue 17). As rows of `answers`, a submit wrote 55 rows, 55 primary
-- key entries and ran 55 foreign key checks, a fifth of PostgreSQL's CPU per submit; now it
-- writes one value. Erasure still removes them: they go with the response's row. NULL: none.
ALTER TABLE responses ADD COLUMN answers TEXT;
-- The existing answers move over (ids are [A-Za-z0-9_-]; quotes and backslashes escaped anyway).
-- Only rows not moved yet; the whole migration is one transaction, so it moves all or nothing.
UPDATE responses SET answers = (
    SELECT '{' || string_agg(
               '"' || replace(replace(a.question_id, '\', '\\'), '"', '\"') || '":"'
                   || replace(replace(a.option_ids, '\', '\\'), '"', '\"') || '"',
               ',' ORDER BY a.question_id) || '}'
    FROM answers a WHERE a.response_id = responses.id)
WHERE answers IS NULL;
DROP TABLE answers;
