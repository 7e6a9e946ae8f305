DROP TABLE munki_resource_chunks;
DROP TABLE munki_resources;
