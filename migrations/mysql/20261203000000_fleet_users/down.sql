DROP TABLE activities;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE app_config_json;
