-- Requests per client per minute, shared by every instance, so a client's rate limit holds across
-- the fleet. Old windows are swept as new ones arrive.
CREATE TABLE client_rate (
  client_id     text         NOT NULL,
  window_start  timestamptz  NOT NULL,
  requests      integer      NOT NULL,
  PRIMARY KEY (client_id, window_start)
);
