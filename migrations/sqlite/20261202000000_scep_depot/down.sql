DROP TABLE scep_certificates;
DROP TABLE scep_serials;
