// The error for input RabbitMQ answers by dropping the socket without a close frame (unknown method ids and
// mechanisms, tune-ok values out of range).
export class SilentClose extends Error {}
